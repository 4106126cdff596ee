#!/usr/bin/env python3
"""PyTorch reference for RobustNode's sensitivities (an outside oracle for the tests).

Reads one problem, or a JSON list of problems, in the problem-file format of DESIGN.md §4:

    field        "node-tanh" (x' = W_k tanh(x) + b_k), "linear" (x' = A x) or "gradient-flow"
                 (x' = s_k A_k^T act(A_k x + b_k), s_k = -1 "contractive" or +1 "expansive")
    dim, steps   state dimension d and number of layers N (piecewise-constant controls on [0, T])
    T            final time
    solver       a fixed-step built-in scheme (table below), or any name with the scheme given inline as
                 "tableau": {"A": [[...]], "b": [...], "c": [...]}
    stepsPerLayer  equal steps per layer (optional, default 1)
    weights [N][d][d], biases [N][d]   (node-tanh)      A [d][d]   (linear)
    weights [N][m][d], biases [N][m], activation ("tanh", "relu", "softplus", "sigmoid", "identity"),
                 direction ("contractive" | "expansive", or one per layer; default contractive)   (gradient-flow)
    x0 [B][d]
    loss         "cross-entropy" with "labels" [B] (logits = x(T)), or "square" with "targets" [B][d]
    epsilon, q   the augmented loss  J~ = mean_i [l_i + epsilon * ||grad_{x0_i} l_i||_{q*}],  q in "inf" | 2 | 1
    objective    optional: a robust training objective with its random draw given, {"name", "epsilon", "q",
                 "perturbation" [B][d], and its settings}: "fgsm-rs" (stepSize), "trades" (weight, steps, stepSize),
                 "gradalign" (weight), "llr" (linearityWeight, gradientWeight, steps, stepSize),
                 "augmented-adversarial" (weight, stepSize)

and computes, in float64 with autograd through the same explicit Runge-Kutta recursion
(X_i = x + h sum_{j<i} a_ij K_j, K_i = f(t + c_i h, X_i), x <- x + h sum_i b_i K_i):

    loss                 J = mean_i l_i
    augmentedLoss        J~
    gradX0               grad_{x0} J  (= p(0) / B)
    gradWeights, gradBiases            (node-tanh)   or   gradA            (linear)
    augmentedGradWeights, augmentedGradBiases          or   augmentedGradA
        by double backpropagation: p(0) = grad_{x0} sum_i l_i with create_graph, then J~, then grad J~.
    objective            {"loss", "value", "gradWeights", "gradBiases" | "gradA"}: the objective's perturbations by
                         first-order input gradients, its value, and its control gradient by (double) backpropagation.

Writes one JSON object (or a list, matching the input) to the output path or to standard output.
Usage: pytorch_reference.py PROBLEM.json [OUTPUT.json]
"""
import json
import sys
from fractions import Fraction as Fr

import torch


def _lower(*rows):
    """The strictly lower-triangular Runge-Kutta matrix from its rows below the diagonal."""
    s = len(rows)
    return [[float(rows[i][j]) if j < len(rows[i]) else 0.0 for j in range(s)] for i in range(s)]


def _floats(values):
    return [float(v) for v in values]


# The fixed-step built-in schemes (Butcher 2016; Hairer, Norsett & Wanner I; Dormand & Prince 1980; Tsitouras 2011).
TABLEAUX = {
    "euler": (_lower([]), [1.0], [0.0]),
    "midpoint": (_lower([], [Fr(1, 2)]), [0.0, 1.0], _floats([0, Fr(1, 2)])),
    "heun": (_lower([], [1]), _floats([Fr(1, 2), Fr(1, 2)]), [0.0, 1.0]),
    "ralston": (_lower([], [Fr(2, 3)]), _floats([Fr(1, 4), Fr(3, 4)]), _floats([0, Fr(2, 3)])),
    "kutta3": (_lower([], [Fr(1, 2)], [-1, 2]), _floats([Fr(1, 6), Fr(2, 3), Fr(1, 6)]), _floats([0, Fr(1, 2), 1])),
    "ssprk3": (_lower([], [1], [Fr(1, 4), Fr(1, 4)]), _floats([Fr(1, 6), Fr(1, 6), Fr(2, 3)]), _floats([0, 1, Fr(1, 2)])),
    "rk4": (_lower([], [Fr(1, 2)], [0, Fr(1, 2)], [0, 0, 1]), _floats([Fr(1, 6), Fr(1, 3), Fr(1, 3), Fr(1, 6)]),
            _floats([0, Fr(1, 2), Fr(1, 2), 1])),
    "rk38": (_lower([], [Fr(1, 3)], [Fr(-1, 3), 1], [1, -1, 1]), _floats([Fr(1, 8), Fr(3, 8), Fr(3, 8), Fr(1, 8)]),
             _floats([0, Fr(1, 3), Fr(2, 3), 1])),
    "bosh3": (_lower([], [Fr(1, 2)], [0, Fr(3, 4)], [Fr(2, 9), Fr(1, 3), Fr(4, 9)]),
              _floats([Fr(2, 9), Fr(1, 3), Fr(4, 9), 0]), _floats([0, Fr(1, 2), Fr(3, 4), 1])),
    "dopri5": (_lower([],
                      [Fr(1, 5)],
                      [Fr(3, 40), Fr(9, 40)],
                      [Fr(44, 45), Fr(-56, 15), Fr(32, 9)],
                      [Fr(19372, 6561), Fr(-25360, 2187), Fr(64448, 6561), Fr(-212, 729)],
                      [Fr(9017, 3168), Fr(-355, 33), Fr(46732, 5247), Fr(49, 176), Fr(-5103, 18656)],
                      [Fr(35, 384), 0, Fr(500, 1113), Fr(125, 192), Fr(-2187, 6784), Fr(11, 84)]),
               _floats([Fr(35, 384), 0, Fr(500, 1113), Fr(125, 192), Fr(-2187, 6784), Fr(11, 84), 0]),
               _floats([0, Fr(1, 5), Fr(3, 10), Fr(4, 5), Fr(8, 9), 1, 1])),
    "tsit5": (_lower([],
                     [0.161],
                     [-0.008480655492356989, 0.335480655492357],
                     [2.897153057105493, -6.359448489975075, 4.3622954328695815],
                     [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
                     [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
                     [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774]),
              [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774, 0.0],
              [0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0]),
}


ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "softplus": torch.nn.functional.softplus,
    "sigmoid": torch.sigmoid,
    "identity": lambda z: z,
}


def tableau(problem):
    if "tableau" in problem:
        t = problem["tableau"]
        return [list(map(float, row)) for row in t["A"]], list(map(float, t["b"])), list(map(float, t["c"]))
    name = problem["solver"].lower()
    if name not in TABLEAUX:
        raise ValueError(f"unknown scheme '{name}': give it inline as \"tableau\": {{\"A\", \"b\", \"c\"}}")
    return TABLEAUX[name]


def final_state(problem, controls, x0):
    """x(T) by the explicit RK recursion with N layers of equal steps, every operation recorded by autograd."""
    a, b, c = tableau(problem)
    s = len(b)
    layers, final_time = int(problem["steps"]), float(problem["T"])
    per_layer = int(problem.get("stepsPerLayer", 1))
    width = final_time / layers
    h = width / per_layer
    if problem["field"] == "node-tanh":
        weights, biases = controls

        def f(k, _t, x):
            return torch.tanh(x) @ weights[k].T + biases[k]
    elif problem["field"] == "linear":
        (matrix,) = controls

        def f(_k, _t, x):
            return x @ matrix.T
    elif problem["field"] == "gradient-flow":
        weights, biases = controls
        act = ACTIVATIONS[problem["activation"]]
        direction = problem.get("direction", "contractive")
        directions = direction if isinstance(direction, list) else [direction] * layers
        signs = [-1.0 if d == "contractive" else 1.0 for d in directions]

        def f(k, _t, x):
            return signs[k] * (act(x @ weights[k].T + biases[k]) @ weights[k])
    else:
        raise ValueError(f"unknown field '{problem['field']}'")
    x = x0
    for k in range(layers):
        for m in range(per_layer):
            t = k * width + m * h
            stages = []
            for i in range(s):
                xi = x
                for j in range(i):
                    if a[i][j] != 0:
                        xi = xi + (h * a[i][j]) * stages[j]
                stages.append(f(k, t + c[i] * h, xi))
            update = x
            for i in range(s):
                if b[i] != 0:
                    update = update + (h * b[i]) * stages[i]
            x = update
    return x


def per_sample_loss(problem, x_final):
    if problem["loss"] == "cross-entropy":
        labels = torch.tensor(problem["labels"], dtype=torch.int64)
        return torch.nn.functional.cross_entropy(x_final, labels, reduction="none")
    if problem["loss"] == "square":
        targets = torch.tensor(problem["targets"], dtype=torch.float64)
        return ((x_final - targets) ** 2).sum(dim=1)
    raise ValueError(f"unknown loss '{problem['loss']}'")


def dual_norm(p, q):
    """||p_i||_{q*} per row, 1/q + 1/q* = 1."""
    q = str(q).lower()
    if q in ("inf", "infinity"):
        return p.abs().sum(dim=1)
    if q in ("2", "2.0"):
        return p.pow(2).sum(dim=1).sqrt()
    if q in ("1", "1.0"):
        return p.abs().amax(dim=1)
    raise ValueError(f"unknown attack norm q = '{q}'")


def solve(problem):
    def leaf(key):
        return torch.tensor(problem[key], dtype=torch.float64, requires_grad=True)

    with_weights = problem["field"] in ("node-tanh", "gradient-flow")
    names = ["Weights", "Biases"] if with_weights else ["A"]
    controls = [leaf("weights"), leaf("biases")] if with_weights else [leaf("A")]
    x0 = leaf("x0")
    losses = per_sample_loss(problem, final_state(problem, controls, x0))
    loss = losses.mean()
    first = torch.autograd.grad(loss, controls + [x0], retain_graph=True)
    p0 = torch.autograd.grad(losses.sum(), x0, create_graph=True, retain_graph=True)[0]
    augmented = loss + float(problem.get("epsilon", 0)) * dual_norm(p0, problem.get("q", "inf")).mean()
    second = torch.autograd.grad(augmented, controls, allow_unused=True)
    result = {"loss": loss.item(), "augmentedLoss": augmented.item(), "gradX0": first[-1].tolist()}
    for name, g1, g2, u in zip(names, first, second, controls):
        result["grad" + name] = g1.tolist()
        result["augmentedGrad" + name] = (g2 if g2 is not None else torch.zeros_like(u)).tolist()
    if "objective" in problem:
        result["objective"] = objective(problem, controls, x0)
    return result


def steepest(g, q):
    """The steepest-ascent direction of the q-ball: sign(g); g/|g|_2; sign(g_j) e_j at the first largest |g_j|."""
    q = str(q).lower()
    if q in ("inf", "infinity"):
        return g.sign()
    if q in ("2", "2.0"):
        return g / g.pow(2).sum(dim=1, keepdim=True).sqrt().clamp_min(1e-300)
    j = g.abs().argmax(dim=1, keepdim=True)
    return torch.zeros_like(g).scatter_(1, j, g.gather(1, j).sign())


def project(delta, q, radius):
    """Each row projected onto the q-ball of the radius (l1: Duchi et al.'s sort-based projection; inside: unchanged)."""
    q = str(q).lower()
    if q in ("inf", "infinity"):
        return delta.clamp(-radius, radius)
    if q in ("2", "2.0"):
        length = delta.pow(2).sum(dim=1, keepdim=True).sqrt()
        return delta * (radius / length.clamp_min(radius))
    rows = []
    for row in delta:
        if row.abs().sum() <= radius:
            rows.append(row)
            continue
        u = row.abs().sort(descending=True).values
        cumulative = u.cumsum(0) - radius
        k = torch.arange(1, len(u) + 1, dtype=row.dtype)
        rho = int(torch.nonzero(u - cumulative / k > 0).max())
        theta = cumulative[rho] / (rho + 1)
        rows.append(row.sign() * (row.abs() - theta).clamp_min(0))
    return torch.stack(rows)


def objective(problem, controls, x0):
    """A robust objective from the file's random draw, by autograd: perturbations from first-order input gradients,
    the value, and its control gradient by backpropagation (twice where it contains an input gradient)."""
    o = problem["objective"]
    name, eps, q = o["name"], float(o["epsilon"]), o.get("q", "inf")
    draw = torch.tensor(o["perturbation"], dtype=torch.float64)
    x = x0.detach()

    def losses(point):
        return per_sample_loss(problem, final_state(problem, controls, point))

    def sensitivity(point, graph):
        leaf = point.detach().clone().requires_grad_(True)
        p = torch.autograd.grad(losses(leaf).sum(), leaf, create_graph=graph, retain_graph=graph)[0]
        return p if graph else p.detach()

    def start(delta):
        return (x + project(delta, q, eps)).detach()

    def step(point, g, alpha):
        return start(point - x + alpha * steepest(g, q))

    def random_start_fgsm(alpha):
        x_start = start(draw)
        return step(x_start, sensitivity(x_start, False), alpha)

    def kl(z, w):
        return (z.softmax(dim=1) * (z.log_softmax(dim=1) - w.log_softmax(dim=1))).sum(dim=1)

    if name == "fgsm-rs":
        value = losses(random_start_fgsm(float(o.get("stepSize", 1.25 * eps)))).mean()
    elif name == "trades":
        beta, steps = float(o.get("weight", 6)), int(o.get("steps", 10))
        alpha = float(o.get("stepSize", 2.5 * eps / steps))
        target = final_state(problem, controls, x).detach()
        adversary = (x + draw).detach()
        for _ in range(steps):
            leaf = adversary.clone().requires_grad_(True)
            g = torch.autograd.grad(kl(target, final_state(problem, controls, leaf)).sum(), leaf)[0]
            adversary = step(adversary, g, alpha)
        z = final_state(problem, controls, x)
        value = per_sample_loss(problem, z).mean() + beta * kl(z, final_state(problem, controls, adversary)).mean()
    elif name == "gradalign":
        lam = float(o.get("weight", 0.2))
        noisy = start(draw)
        a, b = sensitivity(x, True), sensitivity(noisy, True)
        adversary = (x + eps * steepest(a.detach(), q)).detach()
        na, nb = a.pow(2).sum(dim=1).sqrt(), b.pow(2).sum(dim=1).sqrt()
        aligned = (na > 0) & (nb > 0)
        cos = (a * b).sum(dim=1) / (na * nb)
        penalty = lam * (1 - cos[aligned]).mean() if bool(aligned.any()) else torch.zeros((), dtype=torch.float64)
        value = losses(adversary).mean() + penalty
    elif name == "llr":
        lam, mu, steps = float(o.get("linearityWeight", 4)), float(o.get("gradientWeight", 3)), int(o.get("steps", 2))
        alpha = float(o.get("stepSize", 2.5 * eps / steps))
        p, clean = sensitivity(x, False), losses(x).detach()
        perturbed = start(draw)
        for _ in range(steps):
            residual = losses(perturbed).detach() - clean - ((perturbed - x) * p).sum(dim=1)
            perturbed = step(perturbed, residual.sign().unsqueeze(1) * (sensitivity(perturbed, False) - p), alpha)
        d = perturbed - x
        a, at_x = sensitivity(x, True), losses(x)
        linear = (d * a).sum(dim=1)
        r = losses(perturbed) - at_x - linear
        value = at_x.mean() + lam * r.abs().mean() + mu * linear.abs().mean()
    elif name == "augmented-adversarial":
        weight = float(o.get("weight", eps))
        adversary = random_start_fgsm(float(o.get("stepSize", 1.25 * eps)))
        value = losses(adversary).mean() + weight * dual_norm(sensitivity(adversary, True), q).mean()
    else:
        raise ValueError(f"unknown objective '{name}'")
    grads = torch.autograd.grad(value, controls, allow_unused=True)
    names = ["Weights", "Biases"] if problem["field"] == "node-tanh" else ["A"]
    result = {"loss": losses(x).mean().item(), "value": value.item()}
    for n, g, u in zip(names, grads, controls):
        result["grad" + n] = (g if g is not None else torch.zeros_like(u)).tolist()
    return result


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        problems = json.load(handle)
    results = [solve(p) for p in problems] if isinstance(problems, list) else solve(problems)
    text = json.dumps(results)
    if len(argv) > 2:
        with open(argv[2], "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
