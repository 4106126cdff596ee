using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// The continuous adjoint in backsolve mode keeps no forward states: the number of tensors it holds at once — first
/// and second order — is the same for a network of 4 layers and of 40 (DESIGN §1, "Memory"). The discrete adjoint,
/// which keeps the step-start states, holds more tensors the deeper the network.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class BacksolveMemoryIsIndependentOfDepth
{
    [Fact]
    public void Backsolve_holds_the_same_number_of_tensors_at_any_depth()
    {
        var (shallow, shallowAugmented) = PeakLiveTensors(layers: 4, AdjointMode.Backsolve);
        var (deep, deepAugmented) = PeakLiveTensors(layers: 40, AdjointMode.Backsolve);
        Assert.Equal(shallow, deep);
        Assert.Equal(shallowAugmented, deepAugmented);
    }

    [Fact]
    public void The_discrete_adjoint_holds_the_states_of_every_step()
    {
        var (shallow, _) = PeakLiveTensors(layers: 4, AdjointMode.Discrete);
        var (deep, _) = PeakLiveTensors(layers: 40, AdjointMode.Discrete);
        Assert.True(deep >= shallow + 36, $"peak live tensors {shallow} at N = 4, {deep} at N = 40");
    }

    private static (long Gradient, long Augmented) PeakLiveTensors(int layers, IAdjointMethod method)
    {
        using var scope = NewDisposeScope();
        var p = NodeProblem.Draw(seed: 101, dim: 3, batch: 4, layers, LossKind.CrossEntropy);
        var probe = new LiveTensorProbe(p.Field());
        var problem = p.Problem(probe, SolverCatalog.Fixed(Tableaux.Rk4));
        probe.Reset();
        using (NewDisposeScope()) Sensitivities.Gradient(problem, method).Ok();
        long gradient = probe.Peak;
        probe.Reset();
        using (NewDisposeScope()) Sensitivities.AugmentedGradient(problem, new AugmentedLoss(0.1, AttackNorm.Infinity), method).Ok();
        return (gradient, probe.Peak);
    }
}
