using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers.Control;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training.Support;

/// <summary>What autograd says about a robust objective: the clean loss J(x), the objective and its parameter gradient.</summary>
internal sealed record ReferenceObjective(double Loss, double Objective, Tensor[] Gradients);

/// <summary>
/// The robust objectives re-implemented by autograd through a point-cloud network (zero padding, an ODE block stepped by
/// an explicit Runge–Kutta scheme written out stage by stage, a linear read-out), independently of the library's sweeps:
/// perturbations from first-order input gradients, objectives and their gradients by plain backpropagation — twice
/// (<c>create_graph</c>) where the objective contains ∇ₓℓ. The oracle for the second-order adjoint objectives.
/// </summary>
internal sealed class AutogradObjectives
{
    private static readonly TorchEngine E = TorchEngine.Instance;
    private readonly Network<Tensor> _network;
    private readonly Tensor _labels;
    private readonly InputBox? _box;

    public AutogradObjectives(Network<Tensor> network, Tensor labels, InputBox? box = null) => (_network, _labels, _box) = (network, labels, box);

    // ---- The network and its loss ------------------------------------------------------------------------------------

    /// <summary>Fresh leaves (W, b, R, c) that require gradients.</summary>
    public Tensor[] Leaves() => _network.Parameters.Select(p => p.detach().clone().requires_grad_(true)).ToArray();

    /// <summary>The logits of x through the network with the given parameter values, every stage recorded.</summary>
    public Tensor Logits(Tensor[] u, Tensor x)
    {
        var padding = (ZeroPaddingBlock<Tensor>)_network.Blocks[0];
        var ode = (OdeBlock<Tensor>)_network.Blocks[1];
        var field = (NeuralOdeField<Tensor>)ode.Field;
        var steps = (ConstantSteps)ode.Solver.Controller;
        var tableau = ode.Solver.Tableau;
        Assert.Null(steps.StepSize);
        var state = nn.functional.pad(x, [0, padding.Dim - padding.Inputs]);
        int m = steps.StepsPerLayer;
        double h = field.Grid.LayerWidth / m;
        for (int k = 0; k < field.Grid.Layers; k++)
            for (int step = 0; step < m; step++)
            {
                var stages = new Tensor[tableau.Stages];
                for (int i = 0; i < tableau.Stages; i++)
                {
                    var y = state;
                    for (int j = 0; j < i; j++)
                        if (tableau.A[i, j] != 0) y = y + h * tableau.A[i, j] * stages[j];
                    stages[i] = nn.functional.linear(E.Activate(field.Activation, y), u[0][k], u[1][k]);
                }
                var next = state;
                for (int i = 0; i < tableau.Stages; i++)
                    if (tableau.B[i] != 0) next = next + h * tableau.B[i] * stages[i];
                state = next;
            }
        return nn.functional.linear(state, u[2], u[3]);
    }

    /// <summary>Per-sample cross-entropy ℓᵢ = log Σ e^{zⱼ} − z_yᵢ.</summary>
    public Tensor PerSample(Tensor logits) => logits.logsumexp(1) - logits.gather(1, _labels.unsqueeze(1)).squeeze(1);

    /// <summary>p(x): row i is ∇ₓᵢ ℓᵢ; with <paramref name="graph"/> a differentiable function of the leaves.</summary>
    public Tensor Sensitivity(Tensor[] u, Tensor x, bool graph)
    {
        var leaf = x.detach().clone().requires_grad_(true);
        var p = autograd.grad([PerSample(Logits(u, leaf)).sum()], [leaf], create_graph: graph, retain_graph: graph)[0];
        return graph ? p : p.detach();
    }

    // ---- Attack steps ------------------------------------------------------------------------------------------------

    /// <summary>The steepest-ascent direction of the q-ball, written out: sign(g); g/‖g‖₂; sign(g_j) e_j at the largest |g_j|.</summary>
    public static Tensor Steepest(AttackNorm norm, Tensor g)
    {
        if (double.IsPositiveInfinity(norm.Q)) return g.sign();
        if (norm.Q == 2) return g / g.square().sum(1, keepdim: true).sqrt().clamp_min(1e-300);
        var j = g.abs().argmax(1, keepdim: true);
        return zeros_like(g).scatter_(1, j, g.gather(1, j).sign());
    }

    private Tensor Clip(Tensor x) => _box is null ? x : x.clamp(_box.Min, _box.Max);

    /// <summary>x + Π_ε(δ) clipped to the box.</summary>
    public Tensor Start(Tensor x, Tensor delta, AttackNorm norm, double epsilon) => Clip(x + E.Project(norm, delta, epsilon));

    /// <summary>x + Π_ε(y − x + α ∇φ(g)) clipped to the box.</summary>
    public Tensor Step(Tensor x, Tensor y, Tensor g, double alpha, AttackNorm norm, double epsilon) => Start(x, y - x + alpha * Steepest(norm, g), norm, epsilon);

    /// <summary>FGSM with a random start: one step α from x + δ⁰.</summary>
    public Tensor RandomStartFgsm(Tensor[] u, Tensor x, Tensor start, AttackNorm norm, double epsilon, double alpha)
    {
        var x0 = Start(x, start, norm, epsilon);
        return Step(x, x0, Sensitivity(u, x0, graph: false), alpha, norm, epsilon).detach();
    }

    // ---- The objectives ----------------------------------------------------------------------------------------------

    private ReferenceObjective Result(Tensor[] u, Tensor x, Tensor objective)
    {
        var gradients = autograd.grad([objective], u).Select(g => g.detach()).ToArray();
        double loss = PerSample(Logits(u, x)).mean().item<double>();
        return new ReferenceObjective(loss, objective.item<double>(), gradients);
    }

    public ReferenceObjective FgsmRs(Tensor x, Tensor start, AttackNorm norm, double epsilon, double alpha)
    {
        using var enable = enable_grad();
        var u = Leaves();
        var adversary = RandomStartFgsm(u, x, start, norm, epsilon, alpha);
        return Result(u, x, PerSample(Logits(u, adversary)).mean());
    }

    /// <summary>KL(softmax z ‖ softmax w) per sample, from log-softmax.</summary>
    public static Tensor Divergence(Tensor z, Tensor w) => (z.softmax(1) * (z.log_softmax(1) - w.log_softmax(1))).sum(1);

    public ReferenceObjective Trades(Tensor x, Tensor start, AttackNorm norm, double epsilon, double alpha, int steps, double beta)
    {
        using var enable = enable_grad();
        var u = Leaves();
        var target = Logits(u, x).detach();
        var adversary = (x + start).detach();
        for (int k = 0; k < steps; k++)
        {
            var leaf = adversary.detach().clone().requires_grad_(true);
            var g = autograd.grad([Divergence(target, Logits(u, leaf)).sum()], [leaf])[0];
            adversary = Step(x, leaf.detach(), g, alpha, norm, epsilon).detach();
        }
        var z = Logits(u, x);
        return Result(u, x, PerSample(z).mean() + beta * Divergence(z, Logits(u, adversary)).mean());
    }

    public ReferenceObjective GradAlign(Tensor x, Tensor eta, AttackNorm norm, double epsilon, double lambda)
    {
        using var enable = enable_grad();
        var u = Leaves();
        var noisy = Start(x, eta, norm, epsilon).detach();
        var a = Sensitivity(u, x, graph: true);
        var b = Sensitivity(u, noisy, graph: true);
        var adversary = Clip(x + epsilon * Steepest(norm, a.detach())).detach();
        var (na, nb) = (a.square().sum(1).sqrt(), b.square().sum(1).sqrt());
        var aligned = na.gt(0).logical_and(nb.gt(0));
        var cos = (a * b).sum(1) / (na * nb);
        var penalty = aligned.any().item<bool>() ? lambda * (1 - cos.masked_select(aligned)).mean() : zeros(1, dtype: x.dtype).sum();
        return Result(u, x, PerSample(Logits(u, adversary)).mean() + penalty);
    }

    public ReferenceObjective Llr(Tensor x, Tensor start, AttackNorm norm, double epsilon, double alpha, int steps, double lambda, double mu)
    {
        using var enable = enable_grad();
        var u = Leaves();
        var p = Sensitivity(u, x, graph: false);
        var lossAtX = PerSample(Logits(u, x)).detach();
        var perturbed = Start(x, start, norm, epsilon).detach();
        for (int k = 0; k < steps; k++)
        {
            var delta = perturbed - x;
            var residual = PerSample(Logits(u, perturbed)).detach() - lossAtX - (delta * p).sum(1);
            var ascent = residual.sign().unsqueeze(1) * (Sensitivity(u, perturbed, graph: false) - p);
            perturbed = Step(x, perturbed, ascent, alpha, norm, epsilon).detach();
        }
        var d = perturbed - x;
        var a = Sensitivity(u, x, graph: true);
        var atX = PerSample(Logits(u, x));
        var r = PerSample(Logits(u, perturbed)) - atX - (d * a).sum(1);
        var objective = atX.mean() + lambda * r.abs().mean() + mu * (d * a).sum(1).abs().mean();
        return Result(u, x, objective);
    }

    public ReferenceObjective AugmentedAdversarial(Tensor x, Tensor start, AttackNorm norm, double epsilon, double alpha, double weight)
    {
        using var enable = enable_grad();
        var u = Leaves();
        var adversary = RandomStartFgsm(u, x, start, norm, epsilon, alpha);
        var p = Sensitivity(u, adversary, graph: true);
        return Result(u, x, PerSample(Logits(u, adversary)).mean() + weight * E.DualNorm(norm, p).mean());
    }
}
