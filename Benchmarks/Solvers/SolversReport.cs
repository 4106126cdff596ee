using System.Globalization;
using System.Text;

namespace RobustNode.Benchmarks.Solvers;

/// <summary>The <c>solvers</c> verb: runs both measurements and renders them as Markdown (docs/benchmarks/solvers.md).</summary>
public static class SolversReport
{
    public const string Command = "dotnet run -c Release --project Benchmarks -- solvers";

    public static string Render(WorkPrecisionTable work, StepTimings steps, string machine)
    {
        var md = new StringBuilder();
        md.AppendLine("# Solver benchmarks");
        md.AppendLine();
        md.AppendLine("Produced by");
        md.AppendLine();
        md.AppendLine("    " + Command);
        md.AppendLine();
        md.AppendLine($"which rewrites this file. Machine: {machine}.");
        md.AppendLine();
        RenderWorkPrecision(md, work);
        RenderOverhead(md, steps);
        return md.ToString();
    }

    private static string Sci(double v) => v == 0 ? "0" : v.ToString("0.0e+0", CultureInfo.InvariantCulture);

    private static void RenderWorkPrecision(StringBuilder md, WorkPrecisionTable work)
    {
        md.AppendLine("## Work and precision on DETEST problems");
        md.AppendLine();
        md.AppendLine("Non-stiff DETEST problems (Hull, Enright, Fellen & Sedgwick 1972) on [0, 20]: A1 y' = −y; A2 y' = −y³/2;");
        md.AppendLine("A3 y' = y cos t; A4 y' = y/4 (1 − y/20); A5 y' = (y − t)/(y + t); B1 Lotka–Volterra; D1 two-body orbit,");
        md.AppendLine("eccentricity 0.1. rtol = atol = tol. Each cell: function evaluations / max-norm error at t = 20, against the");
        md.AppendLine("closed-form solution (A1–A4, D1) or SciPy's DOP853 at rtol = atol = 1e-13 (A5, B1).");
        md.AppendLine("SciPy runs through Debian's `/usr/bin/python3` on `Benchmarks/oracles/detest.py`" +
                      (work.SciPyVersion is { } v ? $" (SciPy {v})." : "."));
        if (work.Note is { } note) { md.AppendLine(); md.AppendLine("**" + note + "**"); }
        md.AppendLine();

        if (work.Methods.Contains("scipy RK45"))
        {
            int Total(string m) => work.Points.Where(p => p.Method == m).Sum(p => p.FunctionEvaluations);
            int worse = work.Points.Count(p => p.Method == "dopri5" &&
                p.FunctionEvaluations > work.Points.Single(q => q.Method == "scipy RK45" && q.Problem == p.Problem && q.Tolerance == p.Tolerance).FunctionEvaluations);
            md.AppendLine($"dopri5 and RK45 are the same scheme with the same step-size rule (`PIController` defaults: the I controller):");
            md.AppendLine($"dopri5 needed {Total("dopri5"):N0} function evaluations in all, RK45 {Total("scipy RK45"):N0}; dopri5 needed more in {worse} of " +
                          $"{work.Problems.Count * work.Tolerances.Count} solves.");
            md.AppendLine();
        }
        md.AppendLine("### Function evaluations summed over the problems");
        md.AppendLine();
        md.AppendLine("| tol | " + string.Join(" | ", work.Methods) + " |");
        md.AppendLine("|---|" + string.Concat(work.Methods.Select(_ => "---:|")));
        foreach (var tol in work.Tolerances)
            md.AppendLine($"| {Sci(tol)} | " + string.Join(" | ", work.Methods.Select(m =>
                work.Points.Where(p => p.Method == m && p.Tolerance == tol).Sum(p => p.FunctionEvaluations).ToString("N0", CultureInfo.InvariantCulture))) + " |");
        md.AppendLine();

        foreach (var problem in work.Problems)
        {
            md.AppendLine($"### {problem}");
            md.AppendLine();
            md.AppendLine("| tol | " + string.Join(" | ", work.Methods) + " |");
            md.AppendLine("|---|" + string.Concat(work.Methods.Select(_ => "---:|")));
            foreach (var tol in work.Tolerances)
                md.AppendLine($"| {Sci(tol)} | " + string.Join(" | ", work.Methods.Select(m =>
                {
                    var p = work.Points.Single(x => x.Problem == problem && x.Method == m && x.Tolerance == tol);
                    return $"{p.FunctionEvaluations} / {Sci(p.Error)}";
                })) + " |");
            md.AppendLine();
        }
    }

    private static void RenderOverhead(StringBuilder md, StepTimings t)
    {
        string Us(double v) => v.ToString("0.0", CultureInfo.InvariantCulture) + " µs";
        string Pct(double v) => (v >= 0 ? "+" : "") + (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + " %";
        md.AppendLine("## Abstraction overhead of an RK4 step");
        md.AppendLine();
        md.AppendLine($"nODE field g = W_k tanh(x) + b_k, float32 state [{t.Batch}, {t.Dim}], {t.Layers} layers, RK4 with one step per");
        md.AppendLine($"layer, CPU, {t.Threads} torch thread. Median time per step over {t.Repetitions} repetitions of the whole");
        md.AppendLine($"{t.Layers}-layer pass, after {t.WarmUp} warm-up repetitions; the four variants run interleaved in rotating order in");
        md.AppendLine("one process, each including the freeing of its temporaries.");
        md.AppendLine();
        var c = t.ThreadCpu.Count == 4 ? t.ThreadCpu : [double.NaN, double.NaN, double.NaN, double.NaN];
        double cDirect = Math.Min(c[1], c[2]);
        string Row(string name, double wall, double cpu) =>
            $"| {name} | {Us(wall)} | {Pct(wall / t.Direct - 1)} | {Us(cpu)} | {Pct(cpu / cDirect - 1)} |";
        md.AppendLine("| variant | wall time per step (median) | vs. fastest direct loop | thread CPU time per step (median) | vs. fastest direct loop |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        md.AppendLine(Row("`Ode.Solve(field, x0, Fixed(rk4))`", t.Solve, c[0]));
        md.AppendLine(Row("direct loop, fused `x.add(k1, h/2)`", t.DirectFused, c[1]));
        md.AppendLine(Row("direct loop, operators `x + h/2*k1`", t.DirectOperators, c[2]));
        md.AppendLine(Row("direct fused loop calling `NeuralOdeField.Evaluate`", t.DirectField, c[3]));
        md.AppendLine();
        md.AppendLine($"Overhead of `Ode.Solve` over the fastest direct loop: **{Pct(t.Overhead)}** in wall time, " +
                      $"**{Pct(t.CpuOverhead)}** in thread CPU time; over the direct loop calling the same field object " +
                      $"(the solver's own share): {Pct(t.SolverOverhead)} in wall time, {Pct(c[0] / c[3] - 1)} in thread CPU time.");
        md.AppendLine();
        md.AppendLine("The difference between the fused direct loop and the one calling the field is the field's own cost: `NeuralOdeField.Evaluate`");
        md.AppendLine("slices `W[k]` and `b[k]` (two tensor handles created and freed) and opens a dispose scope on every one of the");
        md.AppendLine("four evaluations of a step, where the hand-written loop slices once per layer. The solver's own share");
        md.AppendLine("(stage combinations, dispose scope per step, controller) is the difference between the first and the last row.");
        md.AppendLine("Wall times on a shared machine are inflated whenever other processes hold the cores; thread CPU times are not,");
        md.AppendLine("but caches and memory bandwidth are still shared, so the ratios move by several percentage points from run to");
        md.AppendLine("run. Compare the rows of one run with each other.");
        md.AppendLine();
    }
}
