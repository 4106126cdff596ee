using RobustNode.Core.Engines.Managed;
using Xunit;

namespace RobustNode.Tests.Engines;

/// <summary>
/// Managed values are owned like TorchSharp tensors: by the innermost open scope, released when it closes unless kept
/// (moved to the scope outside), released at once by Release; views share their source's numbers and keep them alive;
/// released numbers return to the pool and a stale handle cannot read them.
/// </summary>
public sealed class ManagedScopesOwnValues
{
    private readonly ManagedEngine<double> _e = new();

    private ManagedTensor<double> Range(int rows, int cols) =>
        _e.FromValues(Enumerable.Range(0, rows * cols).Select(i => (double)i).ToArray(), default, rows, cols);

    [Fact]
    public void A_value_dies_with_its_scope_unless_kept()
    {
        ManagedTensor<double> kept, dropped;
        using (_e.OpenScope())
        {
            using (_e.OpenScope())
            {
                kept = _e.Keep(Range(3, 2));
                dropped = Range(3, 2);
            }
            Assert.True(kept.IsAlive);
            Assert.False(dropped.IsAlive);
            Assert.Throws<ObjectDisposedException>(() => _e.Sum(dropped));
            Assert.Equal(15, _e.Sum(kept));
        }
        Assert.False(kept.IsAlive);
    }

    [Fact]
    public void Keep_at_the_outermost_scope_hands_the_value_to_the_caller()
    {
        ManagedTensor<double> x;
        using (_e.OpenScope()) x = _e.Keep(Range(2, 2));
        Assert.True(x.IsAlive);
        _e.Release(x);
        Assert.False(x.IsAlive);
        _e.Release(x); // a second release does nothing, like disposing a tensor twice
    }

    [Fact]
    public void Keep_moves_a_value_one_scope_out_from_its_owner()
    {
        ManagedTensor<double> x;
        using (_e.OpenScope())
        {
            using (_e.OpenScope())
            {
                using (_e.OpenScope()) x = _e.Keep(Range(2, 2));
                Assert.True(x.IsAlive);
            }
            Assert.False(x.IsAlive);
        }
    }

    [Fact]
    public void A_detached_value_outlives_every_scope_until_released()
    {
        ManagedTensor<double> x, layer;
        using (_e.OpenScope())
        {
            using (_e.OpenScope())
            {
                var weights = Range(3, 4);
                x = _e.DetachFromScope(_e.Clone(weights));
                layer = _e.DetachFromScope(_e.Select(weights, 1));
            }
        }
        Assert.True(x.IsAlive);
        Assert.Equal([4.0, 5, 6, 7], _e.ToArray(layer));
        _e.Release(x);
        _e.Release(layer);
        Assert.False(x.IsAlive);
        Assert.False(layer.IsAlive);
    }

    [Fact]
    public void Release_frees_a_value_before_its_scope_closes()
    {
        using var scope = _e.OpenScope();
        var x = Range(4, 4);
        _e.Release(x);
        Assert.False(x.IsAlive);
        Assert.Throws<ObjectDisposedException>(() => _e.Add(x, x));
    }

    [Fact]
    public void Views_share_numbers_with_their_source()
    {
        using var scope = _e.OpenScope();
        var x = Range(4, 3);
        var row = _e.Select(x, 2);
        var rows = _e.Rows(x, 1, 2);
        var flat = _e.Reshape(x, -1);
        Assert.Equal([3L], _e.Shape(row));
        Assert.Equal([6.0, 7, 8], _e.ToArray(row));
        Assert.Equal([3.0, 4, 5, 6, 7, 8], _e.ToArray(rows));
        _e.CopyInPlace(row, _e.FromValues([-1.0, -2, -3], default, 3));
        Assert.Equal(-2, _e.ToArray(x)[7]);
        Assert.Equal(-3, _e.ToArray(flat)[8]);
        Assert.Equal([-1.0, -2, -3], _e.ToArray(_e.Select(rows, 1)));
        var layer = _e.Select(_e.Reshape(x, 2, 2, 3), 1);
        Assert.Equal([2L, 3], _e.Shape(layer));
        Assert.Equal([-1.0, -2, -3, 9, 10, 11], _e.ToArray(layer));
    }

    [Fact]
    public void A_kept_view_keeps_its_numbers_alive_after_the_source_scope_closes()
    {
        ManagedTensor<double> view;
        using (_e.OpenScope())
        {
            using (_e.OpenScope())
            {
                var x = Range(3, 2);
                view = _e.Keep(_e.Select(x, 1));
            }
            Assert.True(view.IsAlive);
            Assert.Equal([2.0, 3], _e.ToArray(view));
        }
        Assert.False(view.IsAlive);
    }

    [Fact]
    public void A_released_source_lives_on_in_its_views()
    {
        using var scope = _e.OpenScope();
        var x = Range(3, 2);
        var view = _e.Rows(x, 1, 2);
        _e.Release(x);
        Assert.True(view.IsAlive);
        Assert.Equal([2.0, 3, 4, 5], _e.ToArray(view));
    }

    [Fact]
    public void Numbers_of_a_closed_scope_are_reused()
    {
        var pool = typeof(ManagedEngine<double>).Assembly.GetType("RobustNode.Core.Engines.Managed.StoragePool`1")!.MakeGenericType(typeof(double));
        var current = pool.GetProperty("Current")!;
        var created = pool.GetProperty("Created")!;
        long Created() => (long)created.GetValue(current.GetValue(null))!;
        for (int round = 0; round < 2; round++)
            using (_e.OpenScope()) _e.Add(Range(16, 8), Range(16, 8));
        long before = Created();
        for (int round = 0; round < 10; round++)
            using (_e.OpenScope()) _e.Add(Range(16, 8), Range(16, 8));
        Assert.Equal(before, Created());
    }

    [Fact]
    public void Scopes_close_innermost_first()
    {
        var outer = _e.OpenScope();
        var inner = _e.OpenScope();
        var error = Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.Contains("innermost first", error.Message);
        inner.Dispose();
        outer.Dispose();
        outer.Dispose();
    }

    [Fact]
    public void The_absent_value_is_default_and_a_bias_may_be_absent()
    {
        using var scope = _e.OpenScope();
        ManagedTensor<double> none = default;
        Assert.True(none.IsNone);
        Assert.False(none.IsAlive);
        _e.Release(none);
        Assert.True(_e.Keep(none).IsNone);
        Assert.Throws<ArgumentException>(() => _e.Sum(none));
        var y = _e.Linear(Range(2, 3), Range(2, 3), default);
        Assert.Equal([5.0, 14, 14, 50], _e.ToArray(y));
    }

    [Fact]
    public void Values_are_kept_and_released_only_on_their_own_thread()
    {
        using var scope = _e.OpenScope();
        var x = Range(2, 2);
        Exception? keep = null, release = null;
        double sum = 0;
        var other = new Thread(() =>
        {
            keep = Record(() => _e.Keep(x));
            release = Record(() => _e.Release(x));
            sum = _e.Sum(x); // reading from another thread is fine
        });
        other.Start();
        other.Join();
        Assert.Contains("thread", Assert.IsType<InvalidOperationException>(keep).Message);
        Assert.IsType<InvalidOperationException>(release);
        Assert.Equal(6, sum);
        Assert.True(x.IsAlive);
    }

    private static Exception? Record(Action action)
    {
        try { action(); return null; }
        catch (Exception e) { return e; }
    }
}
