namespace RobustNode.Core.Tableaux;

/// <summary>
/// The built-in explicit Runge–Kutta schemes. Coefficients are exact fractions (evaluated in float64)
/// except Tsitouras 5(4), whose published coefficients are decimals. Each is validated against its
/// order conditions when first used.
/// </summary>
public static class Tableaux
{
    /// <summary>Forward Euler: 1 stage, order 1. Euler with h = T/N on nODE is exactly a ResNet.</summary>
    public static ButcherTableau Euler { get; } = ButcherTableau.Known("euler",
        new double[1, 1], [1.0], [0.0], order: 1);

    /// <summary>Explicit midpoint: 2 stages, order 2.</summary>
    public static ButcherTableau Midpoint { get; } = ButcherTableau.Known("midpoint",
        ButcherTableau.Lower([], [1.0 / 2]), [0.0, 1.0], [0.0, 1.0 / 2], order: 2);

    /// <summary>Heun (explicit trapezoid): 2 stages, order 2, with the embedded Euler solution (order 1).</summary>
    public static ButcherTableau Heun { get; } = ButcherTableau.Known("heun",
        ButcherTableau.Lower([], [1.0]), [1.0 / 2, 1.0 / 2], [0.0, 1.0], order: 2,
        bHat: [1.0, 0.0], embeddedOrder: 1);

    /// <summary>Ralston: 2 stages, order 2, minimal truncation-error bound. Ralston (1962).</summary>
    public static ButcherTableau Ralston { get; } = ButcherTableau.Known("ralston",
        ButcherTableau.Lower([], [2.0 / 3]), [1.0 / 4, 3.0 / 4], [0.0, 2.0 / 3], order: 2);

    /// <summary>Kutta's third-order method: 3 stages, order 3.</summary>
    public static ButcherTableau Kutta3 { get; } = ButcherTableau.Known("kutta3",
        ButcherTableau.Lower([], [1.0 / 2], [-1.0, 2.0]), [1.0 / 6, 2.0 / 3, 1.0 / 6], [0.0, 1.0 / 2, 1.0], order: 3);

    /// <summary>Strong-stability-preserving RK3 (Shu &amp; Osher 1988): 3 stages, order 3.</summary>
    public static ButcherTableau Ssprk3 { get; } = ButcherTableau.Known("ssprk3",
        ButcherTableau.Lower([], [1.0], [1.0 / 4, 1.0 / 4]), [1.0 / 6, 1.0 / 6, 2.0 / 3], [0.0, 1.0, 1.0 / 2], order: 3);

    /// <summary>The classic Runge–Kutta method: 4 stages, order 4.</summary>
    public static ButcherTableau Rk4 { get; } = ButcherTableau.Known("rk4",
        ButcherTableau.Lower([], [1.0 / 2], [0.0, 1.0 / 2], [0.0, 0.0, 1.0]),
        [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6], [0.0, 1.0 / 2, 1.0 / 2, 1.0], order: 4);

    /// <summary>Kutta's 3/8 rule: 4 stages, order 4.</summary>
    public static ButcherTableau ThreeEighths { get; } = ButcherTableau.Known("rk38",
        ButcherTableau.Lower([], [1.0 / 3], [-1.0 / 3, 1.0], [1.0, -1.0, 1.0]),
        [1.0 / 8, 3.0 / 8, 3.0 / 8, 1.0 / 8], [0.0, 1.0 / 3, 2.0 / 3, 1.0], order: 4);

    /// <summary>Bogacki–Shampine 3(2): 4 stages (FSAL), order 3 with an embedded order-2 solution. Bogacki &amp; Shampine (1989).</summary>
    public static ButcherTableau BogackiShampine { get; } = ButcherTableau.Known("bosh3",
        ButcherTableau.Lower([], [1.0 / 2], [0.0, 3.0 / 4], [2.0 / 9, 1.0 / 3, 4.0 / 9]),
        [2.0 / 9, 1.0 / 3, 4.0 / 9, 0.0], [0.0, 1.0 / 2, 3.0 / 4, 1.0], order: 3,
        bHat: [7.0 / 24, 1.0 / 4, 1.0 / 3, 1.0 / 8], embeddedOrder: 2);

    /// <summary>
    /// Dormand–Prince 5(4): 7 stages (FSAL), order 5 with an embedded order-4 solution and Shampine's
    /// mid-point weights for a 4th-order dense output. Dormand &amp; Prince (1980); Shampine (1986).
    /// </summary>
    public static ButcherTableau DormandPrince { get; } = ButcherTableau.Known("dopri5",
        ButcherTableau.Lower([],
            [1.0 / 5],
            [3.0 / 40, 9.0 / 40],
            [44.0 / 45, -56.0 / 15, 32.0 / 9],
            [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
            [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
            [35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84]),
        [35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0.0],
        [0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0], order: 5,
        bHat: [5179.0 / 57600, 0.0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40], embeddedOrder: 4,
        midpointWeights: [6025192743.0 / 30085553152 / 2, 0.0, 51252292925.0 / 65400821598 / 2, -2691868925.0 / 45128329728 / 2,
            187940372067.0 / 1594534317056 / 2, -1776094331.0 / 19743644256 / 2, 11237099.0 / 235043384 / 2]);

    /// <summary>Tsitouras 5(4): 7 stages (FSAL), order 5 with an embedded order-4 solution. Tsitouras (2011), Table 1.</summary>
    public static ButcherTableau Tsitouras { get; } = ButcherTableau.Known("tsit5",
        ButcherTableau.Lower([],
            [0.161],
            [-0.008480655492356989, 0.335480655492357],
            [2.897153057105493, -6.359448489975075, 4.3622954328695815],
            [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
            [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
            [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774]),
        [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774, 0.0],
        [0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0], order: 5,
        bHat: TsitourasEmbedded(), embeddedOrder: 4);

    // Tsitouras publishes the error weights b − b̂; b̂ follows from them.
    private static double[] TsitourasEmbedded()
    {
        double[] b = [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774, 0.0];
        double[] e = [-0.00178001105222577714, -0.0008164344596567469, 0.007880878010261995, -0.1447110071732629,
            0.5823571654525552, -0.45808210592918697, 1.0 / 66];
        return b.Select((bi, i) => bi - e[i]).ToArray();
    }

    /// <summary>Every built-in scheme.</summary>
    public static IReadOnlyList<ButcherTableau> All { get; } =
        [Euler, Midpoint, Heun, Ralston, Kutta3, Ssprk3, Rk4, ThreeEighths, BogackiShampine, DormandPrince, Tsitouras];
}
