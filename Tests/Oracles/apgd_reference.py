#!/usr/bin/env python3
"""The authors' APGD (one run, from a given starting point) as an outside oracle for RobustNode's Apgd.

`attack_single_run` below is APGDAttack.attack_single_run of fra31/auto-attack (autoattack/autopgd_base.py, MIT
licence, Copyright (c) 2020 Francesco Croce), reduced to the Linf and L2 norms and the losses 'ce' and 'dlr-targeted',
with three changes, each marked CHANGED:
  * inputs are clipped to the given box (or not at all) instead of [0, 1];
  * the starting point is always the given one (x_init);
  * the first oscillation check compares the first iterate's loss with the loss at the starting point, as in the paper,
    instead of with an unset zero of the loss history (the reference's loss_steps[-1]).

The model is RobustNode's point-cloud network: zero padding to d, N explicit Euler steps x <- x + h (W_k tanh(x) + b_k)
with h = T/N, and a linear read-out to the logits.

Reads a JSON object, writes {"xBest", "lossBest", "fooled", "xBestAdv"}.
Usage: apgd_reference.py INPUT.json OUTPUT.json
"""
import json
import math
import sys

import torch
import torch.nn as nn


class Network(nn.Module):
    def __init__(self, p):
        super().__init__()
        t = lambda v: torch.tensor(v, dtype=torch.float64)
        self.w, self.b = t(p["weights"]), t(p["biases"])
        self.r, self.c = t(p["readoutWeight"]), t(p["readoutBias"])
        self.h = p["T"] / self.w.shape[0]

    def forward(self, x):
        z = torch.nn.functional.pad(x, (0, self.w.shape[1] - x.shape[1]))
        for k in range(self.w.shape[0]):
            z = z + self.h * (torch.tanh(z) @ self.w[k].T + self.b[k])
        return z @ self.r.T + self.c


class APGD:
    def __init__(self, model, n_iter, norm, eps, loss, box, y_target=None):
        self.model, self.n_iter, self.norm, self.eps, self.loss = model, n_iter, norm, eps, loss
        self.box, self.y_target = box, y_target
        self.thr_decr = .75
        self.n_iter_2 = max(int(0.22 * self.n_iter), 1)
        self.n_iter_min = max(int(0.06 * self.n_iter), 1)
        self.size_decr = max(int(0.03 * self.n_iter), 1)

    def clip(self, x):  # CHANGED: the configured box instead of [0, 1]
        return x if self.box is None else torch.clamp(x, self.box[0], self.box[1])

    def check_oscillation(self, x, j, k, y5, k3=0.75):
        t = torch.zeros(x.shape[1]).to(x.device)
        for counter5 in range(k):
            t += (x[j - counter5] > x[j - counter5 - 1]).float()
        return (t <= k * k3 * torch.ones_like(t)).float()

    def normalize(self, x):
        if self.norm == 'Linf':
            t = x.abs().view(x.shape[0], -1).max(1)[0]
        else:
            t = (x ** 2).view(x.shape[0], -1).sum(-1).sqrt()
        return x / (t.view(-1, *([1] * self.ndims)) + 1e-12)

    def dlr_loss_targeted(self, x, y):
        x_sorted, ind_sorted = x.sort(dim=1)
        u = torch.arange(x.shape[0])
        return -(x[u, y] - x[u, self.y_target]) / (x_sorted[:, -1] - .5 * (x_sorted[:, -3] + x_sorted[:, -4]) + 1e-12)

    def attack_single_run(self, x, y, x_init):
        self.ndims = len(x.shape) - 1
        x_adv = x_init.clone()  # CHANGED: always the given starting point
        x_adv = self.clip(x_adv)
        x_best = x_adv.clone()
        x_best_adv = x_adv.clone()
        # CHANGED: one more row, holding the loss at the starting point, read as loss_steps[-1] by the first check
        loss_steps = torch.zeros([self.n_iter + 1, x.shape[0]], dtype=x.dtype)
        loss_best_steps = torch.zeros([self.n_iter + 1, x.shape[0]], dtype=x.dtype)
        acc_steps = torch.zeros_like(loss_best_steps)

        criterion_indiv = nn.CrossEntropyLoss(reduction='none') if self.loss == 'ce' else self.dlr_loss_targeted

        x_adv.requires_grad_()
        with torch.enable_grad():
            logits = self.model(x_adv)
            loss_indiv = criterion_indiv(logits, y)
            loss = loss_indiv.sum()
        grad = torch.autograd.grad(loss, [x_adv])[0].detach()
        grad_best = grad.clone()

        acc = logits.detach().max(1)[1] == y
        acc_steps[0] = acc + 0
        loss_best = loss_indiv.detach().clone()
        loss_steps[-1] = loss_best  # CHANGED (see above)

        alpha = 2.
        step_size = alpha * self.eps * torch.ones([x.shape[0], *([1] * self.ndims)], dtype=x.dtype)
        x_adv_old = x_adv.clone()
        k = self.n_iter_2 + 0
        counter3 = 0

        loss_best_last_check = loss_best.clone()
        reduced_last_check = torch.ones_like(loss_best)

        for i in range(self.n_iter):
            with torch.no_grad():
                x_adv = x_adv.detach()
                grad2 = x_adv - x_adv_old
                x_adv_old = x_adv.clone()

                a = 0.75 if i > 0 else 1.0

                if self.norm == 'Linf':
                    x_adv_1 = x_adv + step_size * torch.sign(grad)
                    x_adv_1 = self.clip(torch.min(torch.max(x_adv_1, x - self.eps), x + self.eps))
                    x_adv_1 = self.clip(torch.min(torch.max(
                        x_adv + (x_adv_1 - x_adv) * a + grad2 * (1 - a), x - self.eps), x + self.eps))
                else:
                    def l2(v):
                        return (v ** 2).view(v.shape[0], -1).sum(-1).sqrt().view(-1, *([1] * self.ndims))
                    x_adv_1 = x_adv + step_size * self.normalize(grad)
                    x_adv_1 = self.clip(x + self.normalize(x_adv_1 - x) * torch.min(
                        self.eps * torch.ones_like(x).detach(), l2(x_adv_1 - x)))
                    x_adv_1 = x_adv + (x_adv_1 - x_adv) * a + grad2 * (1 - a)
                    x_adv_1 = self.clip(x + self.normalize(x_adv_1 - x) * torch.min(
                        self.eps * torch.ones_like(x).detach(), l2(x_adv_1 - x)))

                x_adv = x_adv_1 + 0.

            x_adv.requires_grad_()
            with torch.enable_grad():
                logits = self.model(x_adv)
                loss_indiv = criterion_indiv(logits, y)
                loss = loss_indiv.sum()
            grad = torch.autograd.grad(loss, [x_adv])[0].detach()

            pred = logits.detach().max(1)[1] == y
            acc = torch.min(acc, pred)
            acc_steps[i + 1] = acc + 0
            ind_pred = (pred == 0).nonzero().squeeze()
            x_best_adv[ind_pred] = x_adv[ind_pred] + 0.

            with torch.no_grad():
                y1 = loss_indiv.detach().clone()
                loss_steps[i] = y1 + 0
                ind = (y1 > loss_best).nonzero().squeeze()
                x_best[ind] = x_adv[ind].clone()
                grad_best[ind] = grad[ind].clone()
                loss_best[ind] = y1[ind] + 0
                loss_best_steps[i + 1] = loss_best + 0

                counter3 += 1

                if counter3 == k:
                    fl_oscillation = self.check_oscillation(loss_steps, i, k, loss_best, k3=self.thr_decr)
                    fl_reduce_no_impr = (1. - reduced_last_check) * (loss_best_last_check >= loss_best).float()
                    fl_oscillation = torch.max(fl_oscillation, fl_reduce_no_impr)
                    reduced_last_check = fl_oscillation.clone()
                    loss_best_last_check = loss_best.clone()

                    if fl_oscillation.sum() > 0:
                        ind_fl_osc = (fl_oscillation > 0).nonzero().squeeze()
                        step_size[ind_fl_osc] /= 2.0
                        x_adv[ind_fl_osc] = x_best[ind_fl_osc].clone()
                        grad[ind_fl_osc] = grad_best[ind_fl_osc].clone()

                    k = max(k - self.size_decr, self.n_iter_min)
                    counter3 = 0

        return x_best, acc, loss_best, x_best_adv


def main():
    with open(sys.argv[1]) as f:
        p = json.load(f)
    torch.set_default_dtype(torch.float64)
    model = Network(p)
    x = torch.tensor(p["x"], dtype=torch.float64)
    y = torch.tensor(p["y"], dtype=torch.int64)
    x_init = torch.tensor(p["xInit"], dtype=torch.float64)
    targets = torch.tensor(p["targets"], dtype=torch.int64) if p.get("targets") is not None else None
    attack = APGD(model, p["iterations"], p["norm"], p["eps"], p["loss"], p.get("box"), targets)
    x_best, acc, loss_best, x_best_adv = attack.attack_single_run(x, y, x_init)
    with open(sys.argv[2], "w") as f:
        json.dump({"xBest": x_best.detach().tolist(), "lossBest": loss_best.tolist(),
                   "fooled": [not bool(a) for a in acc.tolist()], "xBestAdv": x_best_adv.detach().tolist()}, f)


if __name__ == "__main__":
    main()
