"""The benchmark nODE in PyTorch, the baseline of the `gradients` and `augmented` benchmarks.

x' = W_k tanh(x) + b_k on N layers of [0, 1], RK4 with one step per layer written as a loop over tracked tensors (one
leaf W_k, b_k per layer, F.linear per stage, add(..., alpha) for the stage combinations: the same loop as
Benchmarks/Sensitivity/AutogradThroughSolver.cs), float32 (or the request's "dtype": "float64"), the cross-entropy of x(T) against labels in [0, d).

Methods:
  forward          the RK4 loop under torch.no_grad()
  autograd         first-order gradient of J = mean_i l_i with respect to every W_k, b_k (one backward pass)
  double-backprop  gradient of the augmented loss J + eps mean_i ||grad_{x0_i} l_i||_1 with respect to every W_k, b_k
                   (torch.autograd.grad with create_graph=True, then a second backward pass)

Reads one JSON request on standard input:
  {"layers": 20, "batch": 256, "dim": 8, "threads": 1, "dtype": "float32", "epsilon": 0.1, "seed": 20240601,
   "methods": ["forward", "autograd", "double-backprop"], "memory": true, "plan": {...}}
and writes {"torch": version, "results": [{"method", "wallMs", "cpuMs", "peakBytes", "peakMostBytes"}]}.

Run with --rounds, the request is the first line of a conversation, so that the .NET side can time its methods and
these in alternation (a round of each in turn, under the same load): the script warms up by the plan and writes
{"typicalMs": [...]}; then each line "round" on standard input runs one sample of every method (consecutive calls, by the plan) and answers
{"wallMs": [...], "cpuMs": [...]}; the line "end" (or the end of input) measures peak memory if asked and writes
{"torch": version, "results": [{"method", "peakBytes", "peakMostBytes"}]}. One JSON object per line, each flushed.

With {"check": {"weights": [N][d][d], "biases": [N][d], "x0": [B][d], "labels": [B], "epsilon": eps}} instead it
computes in float64 and writes {"gradWeights", "gradBiases", "augmentedGradWeights", "augmentedGradBiases"}: the test
Tests/Benchmarks/PyTorchBaselineTests.cs compares them with RobustNode's adjoints, so the baseline is known to compute
the same gradients as the methods it is compared with.

The weights come from torch's generator with the request's seed (W_k entries N(0, 1.5^2/d), b_k N(0, 0.25), x0 N(0, 1)):
the same distribution as the .NET side's problem, not the same numbers; timings do not depend on the values.
"""
import json
import sys

import torch
import torch.nn.functional as F

import benchmark_timing

RK4_A = [[], [0.5], [0.0, 0.5], [0.0, 0.0, 1.0]]
RK4_B = [1 / 6, 1 / 3, 1 / 3, 1 / 6]
FINAL_TIME = 1.0


def final_state(x0, weights, biases):
    n = len(weights)
    h = FINAL_TIME / n
    x = x0
    for layer in range(n):
        w, b = weights[layer], biases[layer]
        k = []
        for i in range(4):
            xi = x
            for j in range(i):
                if RK4_A[i][j] != 0:
                    xi = xi.add(k[j], alpha=h * RK4_A[i][j])
            k.append(F.linear(torch.tanh(xi), w, b))
        nxt = x
        for i in range(4):
            nxt = nxt.add(k[i], alpha=h * RK4_B[i])
        x = nxt
    return x


def gradient(x0, labels, weights, biases):
    loss = F.cross_entropy(final_state(x0, weights, biases), labels, reduction="none").mean()
    return torch.autograd.grad(loss, weights + biases)


def augmented_gradient(x0, labels, weights, biases, epsilon):
    x = x0.detach().requires_grad_(True)
    losses = F.cross_entropy(final_state(x, weights, biases), labels, reduction="none")
    p0 = torch.autograd.grad(losses.sum(), x, create_graph=True, retain_graph=True)[0]
    augmented = losses.mean() + epsilon * p0.abs().sum(1).mean()
    return torch.autograd.grad(augmented, weights + biases)


def leaves(tensor):
    return [t.detach().clone().requires_grad_(True) for t in tensor]


def check(request):
    torch.set_num_threads(1)
    weights = leaves(torch.tensor(request["weights"], dtype=torch.float64))
    biases = leaves(torch.tensor(request["biases"], dtype=torch.float64))
    x0 = torch.tensor(request["x0"], dtype=torch.float64)
    labels = torch.tensor(request["labels"], dtype=torch.int64)
    n = len(weights)
    first = gradient(x0, labels, weights, biases)
    second = augmented_gradient(x0, labels, weights, biases, request["epsilon"])
    as_list = lambda grads: torch.stack(grads).tolist()
    return {"gradWeights": as_list(first[:n]), "gradBiases": as_list(first[n:]),
            "augmentedGradWeights": as_list(second[:n]), "augmentedGradBiases": as_list(second[n:])}


def measure(request):
    torch.set_num_threads(request["threads"])
    n, batch, d = request["layers"], request["batch"], request["dim"]
    dtype = {"float32": torch.float32, "float64": torch.float64}[request.get("dtype", "float32")]
    generator = torch.Generator().manual_seed(request["seed"])
    weights = leaves(torch.randn(n, d, d, generator=generator, dtype=dtype) * (1.5 / d ** 0.5))
    biases = leaves(torch.randn(n, d, generator=generator, dtype=dtype) * 0.5)
    x0 = torch.randn(batch, d, generator=generator, dtype=dtype)
    labels = torch.randint(0, d, (batch,), generator=generator)
    epsilon = request.get("epsilon", 0.1)

    def forward():
        with torch.no_grad():
            return final_state(x0, weights, biases)

    computations = {
        "forward": forward,
        "autograd": lambda: gradient(x0, labels, weights, biases),
        "double-backprop": lambda: augmented_gradient(x0, labels, weights, biases, epsilon),
    }
    methods = request["methods"]
    unknown = [m for m in methods if m not in computations]
    if unknown:
        raise SystemExit("unknown methods: " + ", ".join(unknown))
    runs = [computations[m] for m in methods]
    if request.get("rounds", False):
        return serve_rounds(request, methods, runs)
    wall, cpu = benchmark_timing.medians(runs, request["plan"], request["threads"])
    results = []
    for i, method in enumerate(methods):
        peaks = benchmark_timing.peak_bytes(runs[i]) if request.get("memory", False) else None
        results.append({"method": method, "wallMs": wall[i], "cpuMs": cpu[i],
                        "peakBytes": peaks[0] if peaks else None, "peakMostBytes": peaks[1] if peaks else None})
    return {"torch": torch.__version__, "results": results}


def say(answer):
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def serve_rounds(request, methods, runs):
    """The conversation of a "rounds" request (see the module's text); returns the closing answer."""
    threads = request["threads"]
    typical = benchmark_timing.warm_up(runs, request["plan"], threads)
    calls = [benchmark_timing.calls_per_sample(request["plan"], t) for t in typical]
    say({"typicalMs": typical})
    for line in sys.stdin:
        command = line.strip()
        if command == "end":
            break
        if command != "round":
            raise SystemExit("unknown command: " + command)
        wall, cpu = benchmark_timing.one_round(runs, threads, calls)
        say({"wallMs": wall, "cpuMs": cpu})
    results = []
    for i, method in enumerate(methods):
        peaks = benchmark_timing.peak_bytes(runs[i]) if request.get("memory", False) else None
        results.append({"method": method, "peakBytes": peaks[0] if peaks else None, "peakMostBytes": peaks[1] if peaks else None})
    return {"torch": torch.__version__, "results": results}


def main():
    if "--rounds" in sys.argv:
        request = json.loads(sys.stdin.readline())
        request["rounds"] = True
        say(measure(request))
        return
    request = json.load(sys.stdin)
    answer = check(request["check"]) if "check" in request else measure(request)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
