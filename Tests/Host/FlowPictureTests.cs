using RobustNode.Core.Tableaux;
using RobustNode.Host.Reports;
using RobustNode.Host.Runs;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Host;

/// <summary>The flow pictures: the ODE block's states at the layer boundaries, drawn over the head's level sets.</summary>
public class FlowPictureTests
{
    private static Dataset Points(int count = 40) => (Dataset)new Moons(0.1).Generate(count, 7);

    private static Network<Tensor> Model(int dim, int layers = 5) =>
        (Network<Tensor>)new PointCloudModel(dim, layers, WeightScale: 2, BiasScale: 0.5) { Solver = SolverCatalog.Fixed(Tableaux.Rk4) }.Build(11);

    [Fact]
    public void In_a_two_dimensional_state_space_the_paths_are_the_solver_states_at_the_layer_boundaries()
    {
        using var scope = NewDisposeScope();
        var data = Points();
        var model = Model(dim: 2, layers: 4);
        var flow = (PlanarFlow)PlanarFlow.Trace(model, data, data.Count, 20);

        Assert.Equal([0, 0.25, 0.5, 0.75, 1.0], flow.Times);
        var (xs, ys, labels) = DataPlot.Coordinates(data.X, data.Labels);
        Assert.Equal(xs, flow.X[0]);
        Assert.Equal(ys, flow.Y[0]);
        Assert.Equal(labels.Select(l => (int)l), flow.Labels);
        // The last boundary is the ODE block's output, as the network's own forward pass computes it.
        var final = (Tensor)Inference.Output(new Network<Tensor>(model.Blocks.Take(2).ToArray()), data.X);
        var (fx, fy, _) = DataPlot.Coordinates(final, data.Labels);
        for (int i = 0; i < data.Count; i++)
        {
            Assert.Equal(fx[i], flow.X[4][i], 12);
            Assert.Equal(fy[i], flow.Y[4][i], 12);
        }
    }

    [Fact]
    public void The_background_is_the_head_probability_of_every_drawn_state()
    {
        using var scope = NewDisposeScope();
        var data = Points();
        var model = Model(dim: 4);
        var flow = (PlanarFlow)PlanarFlow.Trace(model, data, data.Count, 400);
        var p = ((Tensor)Classification.Probabilities(model, data.X)).data<double>().ToArray();
        var grid = flow.Head;
        var p1 = grid.ProbabilityOf(1);
        for (int i = 0; i < data.Count; i++)
        {
            // Bilinear interpolation of the background at the point's final position.
            double gx = (flow.X[^1][i] - grid.Grid.XMin) / (grid.Grid.XMax - grid.Grid.XMin) * (grid.Xs.Length - 1);
            double gy = (flow.Y[^1][i] - grid.Grid.YMin) / (grid.Grid.YMax - grid.Grid.YMin) * (grid.Ys.Length - 1);
            int c = Math.Min((int)gx, grid.Xs.Length - 2), r = Math.Min((int)gy, grid.Ys.Length - 2);
            double fx = gx - c, fy = gy - r;
            double background = (1 - fy) * ((1 - fx) * p1[r, c] + fx * p1[r, c + 1]) + fy * ((1 - fx) * p1[r + 1, c] + fx * p1[r + 1, c + 1]);
            Assert.True(Math.Abs(background - p[2 * i + 1]) < 2e-3, $"point {i}: the model gives {p[2 * i + 1]:F5}, the background {background:F5}");
        }
    }

    [Fact]
    public void The_animation_has_one_frame_per_layer_boundary_and_loops()
    {
        using var scope = NewDisposeScope();
        var data = Points(20);
        var flow = (PlanarFlow)PlanarFlow.Trace(Model(dim: 3, layers: 3), data, data.Count, 16);

        var gif = FlowPlot.Animation([("standard", flow), ("augmented", flow)]);

        using var image = SixLabors.ImageSharp.Image.Load<Rgba32>(gif);
        Assert.Equal(4, image.Frames.Count);
        Assert.Equal(0, SixLabors.ImageSharp.MetadataExtensions.GetGifMetadata(image.Metadata).RepeatCount);
        Assert.True(image.Width > image.Height, "the models' panels stand side by side");
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("trajectories.png"), FlowPlot.Trajectories([("standard", flow)]));
        TrainingJobs.AssertPng(folder.File("trajectories.png"));
    }

    [Fact]
    public void A_model_without_an_ODE_block_is_refused()
    {
        using var scope = NewDisposeScope();
        var readout = LinearBlock.Initialised(2, 2, new Generator(1));
        var flow = PlanarFlow.Trace(Network.Of<Tensor>(readout), Points(), 10, 10);
        Assert.True(flow.IsFail);
        Assert.Contains("no ODE block", flow.Match(_ => "", e => e.Message));
    }
}
