using RobustNode.Samples.RobustTraining;
using TorchSharp;

// robust-training [objective] [epochs] [points]: standard training and one robust objective on moons, then FGSM and PGD.
torch.set_num_threads(1);   // point-cloud tensors are tiny: intra-op threads only cost time
var settings = new SampleSettings();
if (args.Length > 0) settings = settings with { Objective = args[0] };
if (args.Length > 1 && int.TryParse(args[1], out var epochs)) settings = settings with { Epochs = epochs };
if (args.Length > 2 && int.TryParse(args[2], out var points)) settings = settings with { Points = points };

return RobustTrainingSample.Run(settings).Match(
    Succ: scores =>
    {
        Console.WriteLine($"moons, {settings.Points} points, {settings.Epochs} epochs, ε = {settings.Epsilon} (ℓ∞)");
        Console.WriteLine("| trainer | clean | FGSM | PGD-20 (3 restarts) | s/epoch |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var s in scores)
            Console.WriteLine($"| {s.Trainer} | {s.Clean:P1} | {s.Fgsm:P1} | {s.Pgd:P1} | {s.SecondsPerEpoch:F3} |");
        return 0;
    },
    Fail: e =>
    {
        Console.Error.WriteLine($"robust-training: {e.Message}");
        return 2;
    });
