using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Exchange.Client;

namespace Exchange.ClusterBench;

/// <summary>
/// Three <c>exchange serve --cluster</c> processes (exchange.dll beside the benchmark) on 127.0.0.1 ports picked free,
/// with the embedded default configuration except: rate limits off (one client sends the whole load), metrics, market
/// data and drop copy off, and the given election timeouts. A node can be killed with SIGKILL and started again on its
/// own directory.
/// </summary>
internal sealed class ServeNodes : IDisposable
{
    public const long Price = 120_000;
    private readonly string _config;
    private readonly Process?[] _processes = new Process?[3];

    private ServeNodes(string config, IReadOnlyList<(string Host, int Port)> addresses, bool logged)
    {
        _config = config;
        Addresses = addresses;
        _logged = logged;
    }

    private readonly bool _logged;

    /// <summary>With <c>logged</c>: every node's log line (stderr, information and up, each stamped with the node's UTC
    /// clock) as it comes, with the node's index.</summary>
    public ConcurrentQueue<(int Node, string Line)> Log { get; } = new();

    public IReadOnlyList<(string Host, int Port)> Addresses { get; }

    public static ServeNodes Start(string directory, int lowerElectionMs, int upperElectionMs, bool logged = false)
    {
        var listeners = Enumerable.Range(0, 9).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();

        var config = JsonNode.Parse(Run("serve", "--print-config"))!.AsObject();
        var limits = config["limits"]!.AsObject();
        limits["ratePerSecond"] = 10_000_000;
        limits["rateBurst"] = 1_000_000;
        limits["floodRejects"] = 1_000_000;
        limits["maxRateLimitedPerSecond"] = 1_000_000;
        config["metrics"]!["enabled"] = false;
        config["marketDataPort"] = -1;
        config["dropCopyPort"] = -1;
        config["dropCopy"] = new JsonArray();
        var members = new JsonArray();
        for (var i = 0; i < 3; i++)
            members.Add(new JsonObject { ["id"] = i + 1, ["raft"] = $"127.0.0.1:{ports[2 * i]}", ["client"] = $"127.0.0.1:{ports[2 * i + 1]}", ["streams"] = $"127.0.0.1:{ports[6 + i]}" });
        config["cluster"] = new JsonObject
        {
            ["nodeId"] = 1,
            ["members"] = members,
            ["dataDirectory"] = directory,
            ["lowerElectionTimeoutMs"] = lowerElectionMs,
            ["upperElectionTimeoutMs"] = upperElectionMs,
        };
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "config.json");
        File.WriteAllText(path, config.ToJsonString());
        var nodes = new ServeNodes(path, Enumerable.Range(0, 3).Select(i => ("127.0.0.1", ports[2 * i + 1])).ToList(), logged);
        for (var i = 0; i < 3; i++) nodes.StartNode(i);
        return nodes;
    }

    public void StartNode(int i)
    {
        if (_processes[i] is { HasExited: false }) throw new InvalidOperationException($"node {i + 1} runs");
        _processes[i]?.Dispose();
        var node = (i + 1).ToString(CultureInfo.InvariantCulture);
        if (!_logged)
        {
            _processes[i] = Spawn("serve", "--config", _config, "--node", node);
            return;
        }
        var process = Spawn(stderr: line => Log.Enqueue((i, line)), "serve", "--config", _config, "--node", node, "--log-level", "information");
        _processes[i] = process;
    }

    /// <summary>SIGKILL.</summary>
    public void Kill(int i)
    {
        var process = _processes[i] ?? throw new InvalidOperationException($"node {i + 1} is not running");
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <summary>The node that takes orders, as the nodes say (a follower names it; the leader accepts the login).</summary>
    public async Task<int> LeaderAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            for (var i = 0; i < 3; i++)
            {
                if (_processes[i] is not { HasExited: false }) continue;
                try
                {
                    await using var client = await ExchangeClient.ConnectAsync(Addresses[i].Host, Addresses[i].Port);
                    var login = await client.LoginAsync("feed", "feed-pw", 0, "", TimeSpan.FromSeconds(5));
                    if (login.Accepted) return i;
                }
                catch (Exception e) when (e is SocketException or IOException or TimeoutException)
                {
                }
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("no leader");
    }

    /// <summary>CPU time (user + system) the node's process has used so far.</summary>
    public TimeSpan Cpu(int i)
    {
        var process = _processes[i]!;
        process.Refresh();
        return process.TotalProcessorTime;
    }

    public void Dispose()
    {
        for (var i = 0; i < _processes.Length; i++)
        {
            if (_processes[i] is { HasExited: false } process) process.Kill(entireProcessTree: true);
            _processes[i]?.Dispose();
            _processes[i] = null;
        }
    }

    private static string Run(params string[] args)
    {
        using var process = Spawn(args);
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }

    private static Process Spawn(params string[] args) => Spawn(null, args);

    private static Process Spawn(Action<string>? stderr, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = stderr is not null,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "exchange.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        if (args[0] == "serve" && args.Length > 2)
        {
            // The banner and the shutdown lines only; nobody reads the rest.
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
        }
        if (stderr is not null)
        {
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line) stderr(line);
            };
            process.BeginErrorReadLine();
        }
        return process;
    }
}
