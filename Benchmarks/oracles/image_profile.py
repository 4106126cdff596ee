"""The PyTorch side of the image profile (Benchmarks/Profiling/ImageProfile.cs): the same primitive operations and the
same training steps of the MNIST network as the .NET side, under the same libtorch settings, in PyTorch 1.13.

Reads one JSON request on standard input:
  {"ops": [{"name", "kind", "input": [B, C, H, W], "weight": [Cout, Cin, k, k], "stride"}, ...],
   "settings": [{"threads": 1, "mkldnn": true, "channelsLast": false}, ...],
   "network": {"layers": 6, "batch": 64, "width": 64, "finalTime": 1.0, "epsilon": 0.1, "seed": 1},
   "opPlan": {...}, "stepPlan": {...}, "profileSteps": 5}
and writes
  {"torch": version, "ops": [{"setting": i, "name", "wallMs", "cpuMs"}],
   "steps": [{"setting": i, "method": "autograd" | "double-backprop", "wallMs", "cpuMs"}],
   "breakdown": {"autograd": [{"op", "selfCpuMs", "calls"}], "double-backprop": [...]}}

Operation kinds match Benchmarks/Profiling/PrimitiveOp.cs. Elementwise kinds are timed only where the .NET side asks
for them (it sends them with the settings they are measured in). The steps are gradients only (no optimizer): J by
one backward pass, J + eps mean ||grad_x l||_1 by double backpropagation. The breakdown is torch.profiler's self CPU
time per operator over profileSteps steps at the first setting, divided by the number of steps.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

import benchmark_timing


def channels_last(t, on):
    return t.contiguous(memory_format=torch.channels_last) if on and t.dim() == 4 else t


def prepare(op, channels):
    shape = op["input"]
    x = channels_last(torch.randn(shape), channels)
    kind = op["kind"]
    if "weight" in op:
        weight = op["weight"]
        stride, k = op["stride"], weight[2]
        pad = k // 2
        out = [shape[0], weight[0], (shape[2] + 2 * pad - k) // stride + 1, (shape[3] + 2 * pad - k) // stride + 1]
        w = channels_last(torch.randn(weight), channels)
        if kind == "conv2d":
            b = torch.randn(weight[0])
            return lambda: F.conv2d(x, w, b, stride=stride, padding=pad)
        p = channels_last(torch.randn(out), channels)
        if kind == "conv_transpose2d":
            extra = [shape[d] - ((out[d] - 1) * stride - 2 * pad + k) for d in (2, 3)]
            return lambda: F.conv_transpose2d(p, w, stride=stride, padding=pad, output_padding=extra)
        if kind == "conv_transpose2d-kernel-backward":
            extra = [shape[d] - ((out[d] - 1) * stride - 2 * pad + k) for d in (2, 3)]

            def transposed_with_kernel_backward():
                tracked = w.detach().requires_grad_(True)
                q = F.conv_transpose2d(p, tracked, stride=stride, padding=pad, output_padding=extra)
                return torch.autograd.grad(q, tracked, x)[0]
            return transposed_with_kernel_backward
        if kind == "correlation":
            return lambda: F.conv2d(x.transpose(0, 1), p.transpose(0, 1), padding=pad, dilation=stride)[:, :, :k, :k].transpose(0, 1)
        if kind == "conv2d-autograd":
            z = x.requires_grad_(True)
            w.requires_grad_(True)
            b = torch.randn(weight[0]).requires_grad_(True)
            return lambda: torch.autograd.grad(F.conv2d(z, w, b, stride=stride, padding=pad), (z, w, b), p)
    if kind == "tanh":
        return lambda: torch.tanh(x)
    if kind == "tanh-derivative":
        return lambda: 1 - x * x
    if kind == "mul":
        y = torch.randn(shape)
        return lambda: x * y
    if kind == "add-scaled":
        y = torch.randn(shape)
        return lambda: x.add(y, alpha=0.25)
    if kind == "sum":
        return lambda: x.sum((0, 2, 3))
    if kind == "empty":
        return lambda: torch.empty(shape)
    raise SystemExit("unknown primitive kind " + kind)


class ConvolutionalOde(nn.Module):
    """Training/Models/ConvolutionalOdeModel.cs with its initialisation scheme (values differ; shapes and scheme agree)."""

    def __init__(self, layers, width, final_time):
        super().__init__()
        c1, c2 = width // 4, width // 2
        self.stem = nn.ModuleList([nn.Conv2d(1, c1, 3, 2, 1), nn.Conv2d(c1, c2, 3, 2, 1), nn.Conv2d(c2, width, 3, 1, 1)])
        self.layers = nn.ModuleList([nn.Conv2d(width, width, 3, padding=1) for _ in range(layers)])
        bound = 1.0 / (9.0 * width) ** 0.5
        for conv in self.layers:
            nn.init.uniform_(conv.weight, -bound, bound)
            nn.init.zeros_(conv.bias)
        self.head = nn.Linear(width, 10)
        self.step = final_time / layers

    def forward(self, x):
        for conv in self.stem:
            x = torch.tanh(conv(x))
        for conv in self.layers:
            x = x + self.step * conv(torch.tanh(x))
        return self.head(x.mean((2, 3)))


def steps(network, channels):
    torch.manual_seed(network["seed"])
    model = ConvolutionalOde(network["layers"], network["width"], network["finalTime"])
    if channels:
        model = model.to(memory_format=torch.channels_last)
    images = channels_last(torch.rand(network["batch"], 1, 28, 28), channels)
    labels = torch.randint(0, 10, (network["batch"],))
    params = list(model.parameters())
    epsilon = network["epsilon"]

    def standard():
        loss = F.cross_entropy(model(images), labels)
        return torch.autograd.grad(loss, params)

    def augmented():
        x = images.detach().requires_grad_(True)
        per_sample = F.cross_entropy(model(x), labels, reduction="none")
        p0 = torch.autograd.grad(per_sample.sum(), x, create_graph=True)[0]
        total = per_sample.mean() + epsilon * p0.abs().flatten(1).sum(1).mean()
        return torch.autograd.grad(total, params)

    return {"autograd": standard, "double-backprop": augmented}


def breakdown(run, repeats):
    from torch.profiler import ProfilerActivity, profile
    run()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(repeats):
            run()
    rows = []
    for e in prof.key_averages():
        rows.append({"op": e.key, "selfCpuMs": e.self_cpu_time_total / 1e3 / repeats, "calls": e.count / repeats})
    rows.sort(key=lambda r: -r["selfCpuMs"])
    return rows


def main():
    request = json.load(sys.stdin)
    answer = {"torch": torch.__version__, "ops": [], "steps": [], "breakdown": {}}
    for i, setting in enumerate(request["settings"]):
        torch.set_num_threads(setting["threads"])
        torch.backends.mkldnn.enabled = setting["mkldnn"]
        ops = [op for op in request["ops"] if i in op["settings"]]
        if ops:
            runs = [prepare(op, setting["channelsLast"] and "weight" in op) for op in ops]
            wall, cpu = benchmark_timing.medians(runs, request["opPlan"], setting["threads"])
            for op, w, c in zip(ops, wall, cpu):
                answer["ops"].append({"setting": i, "name": op["name"], "wallMs": w, "cpuMs": c})
        if setting.get("steps", True):
            computations = steps(request["network"], setting["channelsLast"])
            names = list(computations)
            wall, cpu = benchmark_timing.medians([computations[n] for n in names], request["stepPlan"], setting["threads"])
            for n, w, c in zip(names, wall, cpu):
                answer["steps"].append({"setting": i, "method": n, "wallMs": w, "cpuMs": c})
    first = request["settings"][0]
    torch.set_num_threads(first["threads"])
    torch.backends.mkldnn.enabled = first["mkldnn"]
    if request.get("profileSteps", 0) > 0:
        computations = steps(request["network"], first["channelsLast"])
        for name, run in computations.items():
            answer["breakdown"][name] = breakdown(run, request["profileSteps"])
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
