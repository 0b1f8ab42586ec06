using System.Text;
using System.Text.Json;
using Exchange.Gateway.Stress;

namespace Exchange.Core.Tests.Stress;

/// <summary>
/// Runs <c>exchange stress</c> in process exactly as the executable does (no progress bar) on files in a temporary
/// directory, and reads the JSON it printed.
/// </summary>
internal sealed class StressOutput
{
    private StressOutput(int code, string json, string error)
    {
        Code = code;
        Json = json;
        Error = error;
        Root = json.StartsWith('{') ? JsonDocument.Parse(json).RootElement : default;
    }

    public int Code { get; }
    public string Json { get; }
    public string Error { get; }
    public JsonElement Root { get; }

    public static StressOutput Run(params string[] args)
    {
        using var stdout = new MemoryStream();
        var stderr = new StringWriter();
        var code = StressCommand.Run(args, stdout, stderr, progress: false);
        return new StressOutput(code, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    /// <summary>Runs and asserts the run succeeded with every invariant holding.</summary>
    public static StressOutput Ok(params string[] args)
    {
        var o = Run(args);
        Assert.True(o.Code == StressCommand.Ok, $"exit code {o.Code}: {o.Error}");
        Assert.Equal(0, o.Root.GetProperty("invariants").GetProperty("failed").GetInt32());
        return o;
    }

    public JsonElement Loss(string name) => Root.GetProperty("losses").GetProperty(name);

    /// <summary>(var, es) of a loss at a level, as printed.</summary>
    public (string Var, string Es) Tail(string loss, string level)
    {
        foreach (var t in Loss(loss).GetProperty("tail").EnumerateArray())
            if (t.GetProperty("level").GetString() == level)
                return (t.GetProperty("var").GetString()!, t.GetProperty("es").GetString()!);
        throw new KeyNotFoundException($"no level {level} for {loss}");
    }

    public JsonElement Shock(int index) => Root.GetProperty("shocks")[index];

    /// <summary>Everything but the input path, which differs between equal runs from different files.</summary>
    public string WithoutPath()
    {
        var path = Root.GetProperty("input").GetProperty("path").GetString()!;
        return Json.Replace(JsonEncodedText.Encode(path).ToString(), "", StringComparison.Ordinal);
    }
}
