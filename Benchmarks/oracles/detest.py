"""SciPy oracle for the non-stiff DETEST problems (Hull, Enright, Fellen & Sedgwick 1972).

Reads a JSON request on standard input and writes a JSON answer on standard output:

    {"runs": [{"problem": "A3", "method": "RK45", "rtol": 1e-6, "atol": 1e-6}, ...],
     "references": ["A5", "B1"]}

answers

    {"scipy": "1.10.1",
     "runs": [{"problem": "A3", "method": "RK45", "rtol": 1e-6, "atol": 1e-6,
               "nfev": 398, "y": [...], "status": 0}, ...],
     "references": {"A5": [...], "B1": [...]}}

References are the final states of DOP853 solves at rtol = atol = 1e-13 (for the problems without a
closed form). The problems match Tests/Solvers/Detest.cs.
"""
import json
import math
import sys

import numpy as np
import scipy
from scipy.integrate import solve_ivp


def two_body(e):
    def f(t, y):
        r3 = (y[0] ** 2 + y[1] ** 2) ** 1.5
        return [y[2], y[3], -y[0] / r3, -y[1] / r3]
    return f, [1 - e, 0.0, 0.0, math.sqrt((1 + e) / (1 - e))]


D1_F, D1_Y0 = two_body(0.1)

PROBLEMS = {
    "A1": (lambda t, y: -y, [1.0]),
    "A2": (lambda t, y: -0.5 * y ** 3, [1.0]),
    "A3": (lambda t, y: y * math.cos(t), [1.0]),
    "A4": (lambda t, y: 0.25 * y * (1 - y / 20), [1.0]),
    "A5": (lambda t, y: (y - t) / (y + t), [4.0]),
    "B1": (lambda t, y: [2 * (y[0] - y[0] * y[1]), -(y[1] - y[0] * y[1])], [1.0, 3.0]),
    "D1": (D1_F, D1_Y0),
}
FINAL_TIME = 20.0


def solve(name, method, rtol, atol):
    f, y0 = PROBLEMS[name]
    sol = solve_ivp(f, (0.0, FINAL_TIME), np.array(y0, dtype=float), method=method, rtol=rtol, atol=atol)
    return {"nfev": int(sol.nfev), "y": sol.y[:, -1].tolist(), "status": int(sol.status)}


def main():
    request = json.load(sys.stdin)
    runs = []
    for run in request.get("runs", []):
        answer = dict(run)
        answer.update(solve(run["problem"], run["method"], run["rtol"], run["atol"]))
        runs.append(answer)
    references = {name: solve(name, "DOP853", 1e-13, 1e-13)["y"] for name in request.get("references", [])}
    json.dump({"scipy": scipy.__version__, "runs": runs, "references": references}, sys.stdout)


if __name__ == "__main__":
    main()
