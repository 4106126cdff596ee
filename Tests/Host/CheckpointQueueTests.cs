using System.Text;
using RobustNode.Host.Runs;
using Xunit;

namespace RobustNode.Tests.Host;

/// <summary>
/// The per-epoch files written off the training thread: after <see cref="CheckpointQueue.Drain"/> the newest epoch
/// submitted is on disk, however the submissions interleave with the worker finishing (a submission that arrives
/// while the worker is stopping starts a new one instead of being left waiting).
/// </summary>
public class CheckpointQueueTests
{
    [Fact]
    public void After_draining_the_newest_epoch_is_on_disk()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "model.ckpt");
        for (int round = 0; round < 200; round++)
        {
            var queue = new CheckpointQueue();
            int epochs = 1 + round % 7;
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                queue.Submit([(path, Encoding.ASCII.GetBytes($"{round}:{epoch}"))]);
                if (epoch % 3 == 0) Thread.Yield();
            }
            queue.Drain();
            Assert.Equal($"{round}:{epochs}", File.ReadAllText(path));
        }
    }

    [Fact]
    public void A_failed_write_is_reported_by_drain()
    {
        using var folder = new TempFolder();
        var blocked = folder.Write("file", "x");
        var queue = new CheckpointQueue();
        queue.Submit([(Path.Combine(blocked, "under-a-file.ckpt"), [1, 2, 3])]);
        Assert.ThrowsAny<IOException>(queue.Drain);
    }
}
