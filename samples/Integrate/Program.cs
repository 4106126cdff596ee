using RobustNode.Core.Fields;
using RobustNode.Core.Tableaux;
using RobustNode.Solvers;
using static TorchSharp.torch;

// The harmonic oscillator y'' = −y as a system, with Dormand–Prince 5(4): y(π) = (−1, 0).
var y0 = tensor(new[] { 1.0, 0.0 });
var adaptive = SolverCatalog.Adaptive(Tableaux.DormandPrince, rtol: 1e-8, atol: 1e-10);
Ode.Solve((t, y) => stack([y[1], -y[0]]), y0, 0.0, Math.PI, adaptive).Match(
    Succ: s => Console.WriteLine($"oscillator: y(π) = ({s.Final[0].item<double>():F8}, {s.Final[1].item<double>():F8}), {s.Statistics}"),
    Fail: e => Console.Error.WriteLine(e.Message));

// A neural ODE x' = W_k tanh(x) + b_k with N = 10 layers on [0, 1], one RK4 step per layer.
manual_seed(0);
var field = NeuralOdeField.Create(randn(10, 2, 2, dtype: float64), zeros(10, 2, dtype: float64), finalTime: 1.0)
    .Match(f => f, errors => throw new ArgumentException(errors.Head.Message));
Ode.Solve(field, randn(4, 2, dtype: float64), SolverCatalog.Fixed(Tableaux.Rk4)).Match(
    Succ: s => Console.WriteLine($"neural ODE: x(T) = {s.Final.ToString(TorchSharp.TensorStringStyle.Numpy)}, {s.Statistics}"),
    Fail: e => Console.Error.WriteLine(e.Message));
