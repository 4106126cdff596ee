using System.Reflection;
using System.Reflection.Emit;

namespace RobustNode.Tests.Platform;

/// <summary>
/// The methods a method's IL calls (call, callvirt, newobj, ldftn, ldvirtftn), read with reflection alone: the opcode
/// table comes from <see cref="OpCodes"/>, tokens are resolved in the method's module with its generic context.
/// </summary>
internal static class IlCalls
{
    private static readonly Dictionary<short, OpCode> Codes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(c => c.Value);

    /// <summary>Every method or constructor the body of <paramref name="method"/> refers to by a call-like instruction.</summary>
    public static IEnumerable<MethodBase> Of(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException) { il = null; }
        if (il is null) yield break;
        var typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArguments = method is MethodInfo { IsGenericMethod: true } m ? m.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var code = Codes[value];
            i += code.Size;
            int operand = OperandSize(code, il, i);
            if (code.OperandType == OperandType.InlineMethod)
            {
                MethodBase? target = null;
                try { target = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArguments, methodArguments); }
                catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException or MissingMethodException) { }
                if (target is not null) yield return target;
            }
            i += operand;
        }
    }

    private static int OperandSize(OpCode code, byte[] il, int at) => code.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };

    /// <summary>Every method and constructor declared in an assembly, compiler-generated ones (lambdas, state machines) included.</summary>
    public static IEnumerable<MethodBase> Declared(Assembly assembly)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { types = e.Types.Where(t => t is not null).ToArray()!; }
        foreach (var type in types)
        {
            foreach (var c in type.GetConstructors(all)) yield return c;
            foreach (var m in type.GetMethods(all)) yield return m;
        }
    }
}
