using System.Text.Json;
using Exchange.Gateway.Scenarios;
using InvariantChecker = Exchange.Testing.InvariantChecker;

namespace Exchange.Core.Tests.Scenarios;

/// <summary>
/// Runs a scenario through <see cref="ScenarioRunner"/> exactly as the executable does and reads the JSON document it
/// printed, so tests assert on the real output (exact decimal strings), not on internal state.
/// </summary>
internal sealed class ScenarioOutput
{
    private readonly JsonElement _root;

    private readonly Core.Exchange _exchange;

    private ScenarioOutput(string json, Core.Exchange exchange)
    {
        Json = json;
        _root = JsonDocument.Parse(json).RootElement;
        _exchange = exchange;
    }

    public string Json { get; }

    public static ScenarioOutput Run(string text)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = ScenarioRunner.Run(text, stdout, stderr);
        Assert.True(code == ScenarioRunner.Ok, $"exit code {code}: {stderr}");
        Assert.Equal("", stderr.ToString());
        // The same scenario once more, in process, to hand the final state to the shared invariant checker.
        Assert.True(ScenarioParser.TryParse(text, out var scenario, out _));
        return new ScenarioOutput(stdout.ToString(), ScenarioRunner.Execute(scenario).Exchange);
    }

    public static ScenarioOutput RunExample(string name) => Run(File.ReadAllText(ExamplePath(name)));

    /// <summary>The path of a file in examples/, found by walking up from the test binaries to the solution.</summary>
    public static string ExamplePath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Exchange.sln"))) return Path.Combine(dir.FullName, "examples", name);
        throw new FileNotFoundException("Exchange.sln not found above the test binaries", name);
    }

    public string Insurance => _root.GetProperty("insurance").GetString()!;
    public string Fees => _root.GetProperty("fees").GetString()!;
    public string Exchange => _root.GetProperty("exchange").GetString()!;
    public JsonElement Conservation => _root.GetProperty("conservation");
    public bool ConservationOk => Conservation.GetProperty("ok").GetBoolean();

    public JsonElement Account(string name)
    {
        foreach (var a in _root.GetProperty("accounts").EnumerateArray())
            if (a.GetProperty("name").GetString() == name) return a;
        throw new KeyNotFoundException($"no account {name}");
    }

    /// <summary>The names in the output's accounts, in its order.</summary>
    public string[] AccountNames() =>
        _root.GetProperty("accounts").EnumerateArray().Select(a => a.GetProperty("name").GetString()!).ToArray();

    public string Balance(string name) => Account(name).GetProperty("balance").GetString()!;
    public string Equity(string name) => Account(name).GetProperty("equity").GetString()!;
    public int AccountId(string name) => Account(name).GetProperty("id").GetInt32();
    public int OpenOrders(string name) => Account(name).GetProperty("open_orders").GetInt32();
    public string Qty(string name, string instrument) => Position(name, instrument).GetProperty("qty").GetString()!;
    public string Cost(string name, string instrument) => Position(name, instrument).GetProperty("cost").GetString()!;
    public string Upnl(string name, string instrument) => Position(name, instrument).GetProperty("upnl").GetString()!;

    public JsonElement Position(string name, string instrument)
    {
        foreach (var p in Account(name).GetProperty("positions").EnumerateArray())
            if (p.GetProperty("instrument").GetString() == instrument) return p;
        throw new KeyNotFoundException($"no position {name}/{instrument}");
    }

    public IReadOnlyList<JsonElement> Events(string? type = null)
    {
        var list = new List<JsonElement>();
        foreach (var e in _root.GetProperty("events").EnumerateArray())
            if (type is null || e.GetProperty("type").GetString() == type) list.Add(e);
        return list;
    }

    /// <summary>One event as "field=value ..." (without line and type), for compact exact assertions.</summary>
    public static string Describe(JsonElement e)
    {
        var parts = new List<string>();
        foreach (var p in e.EnumerateObject())
            if (p.Name is not ("line" or "type")) parts.Add($"{p.Name}={p.Value}");
        return string.Join(" ", parts);
    }

    /// <summary>The events of a type as descriptions, in order.</summary>
    public string[] Describe(string type) => Events(type).Select(Describe).ToArray();

    /// <summary>Checks what holds after every scenario: conservation to the unit, sum(q) == 0 per instrument,
    /// insurance &gt;= 0, exchange &lt;= 0, every flat account has balance &gt;= 0 (read from the output), then the shared
    /// <see cref="InvariantChecker"/> on the final state.</summary>
    public void AssertInvariants()
    {
        InvariantChecker.AssertHolds(_exchange);
        Assert.True(ConservationOk, Conservation.ToString());
        Assert.Equal(Conservation.GetProperty("left").GetString(), Conservation.GetProperty("right").GetString());
        foreach (var net in Conservation.GetProperty("net_qty").EnumerateArray()) Assert.True(net.GetProperty("ok").GetBoolean());
        Assert.True(Number(Insurance) >= 0, $"insurance {Insurance}");
        Assert.True(Number(Exchange) <= 0, $"exchange {Exchange}");
        foreach (var a in _root.GetProperty("accounts").EnumerateArray())
        {
            var flat = a.GetProperty("positions").EnumerateArray().All(p => Number(p.GetProperty("qty").GetString()!) == 0);
            if (flat) Assert.True(Number(a.GetProperty("balance").GetString()!) >= 0, a.ToString());
        }
    }

    private static decimal Number(string s) => decimal.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
}
