namespace RobustNode.Sensitivity.Attacks;

/// <summary>What APGD maximises.</summary>
public enum ApgdLoss
{
    /// <summary>The loss the attack is given (cross-entropy for classifiers): APGD-CE.</summary>
    CrossEntropy,

    /// <summary>
    /// The targeted difference of logits ratio, one run per target class — the second, third, … highest clean score —
    /// as APGD-T of AutoAttack (needs at least four classes).
    /// </summary>
    TargetedDlr,

    /// <summary>
    /// The targeted margin z_t − z_y, one run per target class as for <see cref="TargetedDlr"/>: the stand-in where the DLR
    /// is not defined (two or three classes; with two it is the untargeted margin).
    /// </summary>
    TargetedMargin,
}

/// <summary>Names and choices of <see cref="ApgdLoss"/>.</summary>
internal static class ApgdLosses
{
    /// <summary>The report name: <c>apgd-ce</c>, <c>apgd-dlr</c> or <c>apgd-margin</c>.</summary>
    public static string Name(this ApgdLoss loss) => loss switch
    {
        ApgdLoss.CrossEntropy => "apgd-ce",
        ApgdLoss.TargetedDlr => "apgd-dlr",
        _ => "apgd-margin",
    };

    /// <summary>
    /// The targeted loss for a number of classes: the DLR from four classes on (its denominator z_π1 − (z_π3 + z_π4)/2 needs
    /// four scores), the margin below.
    /// </summary>
    public static ApgdLoss Targeted(int classes) => classes >= 4 ? ApgdLoss.TargetedDlr : ApgdLoss.TargetedMargin;
}
