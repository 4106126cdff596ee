"""One training epoch of the MNIST network in PyTorch, the baseline of the `train-epoch` benchmark.

The network of Training/Models/ConvolutionalOdeModel.cs written as a PyTorch user would: three nn.Conv2d layers
(3x3, padding 1, strides 2, 2, 1) with tanh, an ODE block of N Euler steps x <- x + h (conv_k(tanh(x))) with one
nn.Conv2d per layer (width channels, 3x3, padding 1), h = T / N, average pooling over the 7x7 maps and an nn.Linear
to the classes; float32; torch.optim.Adam. The initial weights, the training images and the batch order are the
ones the .NET side uses (written by Benchmarks/Images/TrainEpochBenchmark.cs into a folder of raw little-endian
arrays), so all three implementations train the same network on the same batches.

Objectives: "standard" minimises J = mean_i l_i (one backward pass); "augmented" minimises
J + eps mean_i ||grad_{x0_i} l_i||_1 by double backpropagation (torch.autograd.grad with create_graph=True, then
backward()).

Reads one JSON request on standard input:
  {"data": folder, "count": n, "batch": 64, "layers": 6, "finalTime": 1.0, "lr": 0.005, "epsilon": 0.1,
   "threads": 2, "objective": "standard", "warmupBatches": 3,
   "parameters": [{"file": "p0.f32", "shape": [16, 1, 3, 3]}, ...]}
and writes {"torch": version, "wallSeconds", "cpuSeconds", "loss", "accuracy", "batches"}: the epoch's wall and
process CPU time (warm-up batches on a copy of the model not counted), the mean J before each step and the training
accuracy before each step, as the .NET trainers report them.
"""
import copy
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvolutionalOde(nn.Module):
    def __init__(self, parameters, layers, final_time):
        super().__init__()
        stem = parameters[:6]
        kernels, biases = parameters[6], parameters[7]
        head_weight, head_bias = parameters[8], parameters[9]
        self.stem = nn.ModuleList()
        for (weight, bias), stride in zip([(stem[0], stem[1]), (stem[2], stem[3]), (stem[4], stem[5])], [2, 2, 1]):
            conv = nn.Conv2d(weight.shape[1], weight.shape[0], 3, stride=stride, padding=1)
            conv.weight.data.copy_(weight)
            conv.bias.data.copy_(bias)
            self.stem.append(conv)
        width = kernels.shape[1]
        self.layers = nn.ModuleList()
        for k in range(layers):
            conv = nn.Conv2d(width, width, 3, padding=1)
            conv.weight.data.copy_(kernels[k])
            conv.bias.data.copy_(biases[k])
            self.layers.append(conv)
        self.head = nn.Linear(head_weight.shape[1], head_weight.shape[0])
        self.head.weight.data.copy_(head_weight)
        self.head.bias.data.copy_(head_bias)
        self.step = final_time / layers

    def forward(self, x):
        for conv in self.stem:
            x = torch.tanh(conv(x))
        for conv in self.layers:
            x = x + self.step * conv(torch.tanh(x))
        return self.head(x.mean((2, 3)))


def objective_step(model, optimizer, x, y, objective, epsilon):
    optimizer.zero_grad(set_to_none=True)
    if objective == "standard":
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        total = loss
    else:
        x = x.detach().requires_grad_(True)
        logits = model(x)
        per_sample = F.cross_entropy(logits, y, reduction="none")
        p0 = torch.autograd.grad(per_sample.sum(), x, create_graph=True)[0]
        loss = per_sample.mean()
        total = loss + epsilon * p0.abs().flatten(1).sum(1).mean()
        total.backward()
    optimizer.step()
    return loss.item(), (logits.argmax(1) == y).sum().item()


def run_batches(model, optimizer, images, labels, order, batch, count, objective, epsilon):
    loss_sum, correct, samples, batches = 0.0, 0, 0, 0
    for start in range(0, count, batch):
        index = order[start:start + batch]
        x, y = images[index], labels[index]
        loss, right = objective_step(model, optimizer, x, y, objective, epsilon)
        loss_sum += loss * len(index)
        correct += right
        samples += len(index)
        batches += 1
    return loss_sum / samples, correct / samples, batches


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(request["threads"])
    folder, n = request["data"], request["count"]
    read = lambda name, dtype: np.fromfile(os.path.join(folder, name), dtype=dtype)
    images = torch.from_numpy(read("images.f32", "<f4").reshape(n, 1, 28, 28).copy())
    labels = torch.from_numpy(read("labels.i64", "<i8").copy())
    order = torch.from_numpy(read("order.i64", "<i8").copy())
    parameters = [torch.from_numpy(read(p["file"], "<f4").reshape(p["shape"]).copy()) for p in request["parameters"]]
    model = ConvolutionalOde(parameters, request["layers"], request["finalTime"])
    batch, objective, epsilon, lr = request["batch"], request["objective"], request["epsilon"], request["lr"]

    warm = copy.deepcopy(model)
    warm_optimizer = torch.optim.Adam(warm.parameters(), lr=lr)
    warmup = min(n, request["warmupBatches"] * batch)
    if warmup > 0:
        run_batches(warm, warm_optimizer, images, labels, order, batch, warmup, objective, epsilon)

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    loss, accuracy, batches = run_batches(model, optimizer, images, labels, order, batch, n, objective, epsilon)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    json.dump({"torch": torch.__version__, "wallSeconds": wall, "cpuSeconds": cpu, "loss": loss, "accuracy": accuracy,
               "batches": batches}, sys.stdout)


if __name__ == "__main__":
    main()
