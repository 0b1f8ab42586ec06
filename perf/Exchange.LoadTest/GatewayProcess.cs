using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Exchange.LoadTest;

/// <summary>
/// <c>exchange serve</c> in a child process on 127.0.0.1 with a port the OS picks (port 0, read back from the
/// "listening on" line), a temporary journal (fsync never) and a generated configuration: the embedded default
/// (<c>serve --print-config</c>) with load-test limits (no per-connection rate limit, deep queues, long idle timeout)
/// and trader users <c>lt01</c>.. (password <c>ltNN-pw</c>, accounts 1..) beside the demo feed and admin users.
/// Killed (with its process tree) when disposed.
/// </summary>
internal sealed partial class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _stderr = new();
    private ServerGc _gc;

    public int Port { get; }
    public string Dll { get; }

    /// <summary>The server's process id (its <c>/proc/PID/status</c> gives the resident set).</summary>
    public int Pid => _process.Id;

    /// <summary>The server's own directory: its configuration and, under <c>journal/</c>, its journal and snapshots.</summary>
    public string DataDirectory => _directory;

    /// <summary>The journal directory (snapshots in its <c>snapshots/</c>).</summary>
    public string JournalDirectory => Path.Combine(_directory, "journal");

    /// <summary>The server's latest GC report (its collections and allocated bytes so far; every 100 ms).</summary>
    public ServerGc Gc
    {
        get { lock (_stderr) return _gc; }
    }

    private GatewayProcess(Process process, string directory, int port, string dll)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Dll = dll;
    }

    public static string Trader(int i) => $"lt{i + 1:D2}";
    public static string Password(int i) => $"lt{i + 1:D2}-pw";

    /// <param name="configure">Last changes to the generated configuration (the sustained mode keeps snapshots on).</param>
    /// <param name="name">The data directory's name under the temporary directory (the process id is appended).</param>
    public static GatewayProcess Start(string? dll, int traders, string waitStrategy, string topology,
        Action<JsonObject>? configure = null, string name = "exchange-loadtest-tcp-")
    {
        dll ??= FindDll();
        var directory = Path.Combine(Path.GetTempPath(), name + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);

        var config = JsonNode.Parse(RunToEnd(dll, "serve", "--print-config"))!.AsObject();
        var limits = config["limits"]!.AsObject();
        limits["ratePerSecond"] = 100_000_000;
        limits["rateBurst"] = 100_000_000;
        limits["floodRejects"] = 100_000_000;
        limits["maxRateLimitedPerSecond"] = 100_000_000;
        limits["idleTimeoutMs"] = 600_000;
        limits["maxQueuedMessages"] = 10_000_000;
        limits["maxInFlight"] = 262_144;
        var pipeline = config["pipeline"]!.AsObject();
        pipeline["fsync"] = "never";
        pipeline["waitStrategy"] = waitStrategy;
        pipeline["topology"] = topology;
        pipeline["snapshotEveryCommands"] = 100_000_000;
        var users = new JsonArray();
        for (var i = 0; i < traders; i++)
            users.Add(new JsonObject { ["username"] = Trader(i), ["role"] = "trader", ["account"] = i + 1, ["password"] = Hash(Password(i)) });
        foreach (var u in config["users"]!.AsArray())
            if (u!["role"]!.GetValue<string>() != "trader") users.Add(u.DeepClone());
        config["users"] = users;
        // The default drop-copy group copies accounts 1 to 3: not part of what the load test measures.
        config.Remove("dropCopy");
        configure?.Invoke(config);
        var configPath = Path.Combine(directory, "config.json");
        File.WriteAllText(configPath, config.ToJsonString());

        var journal = Path.Combine(directory, "journal");
        if (Directory.Exists(journal)) Directory.Delete(journal, recursive: true);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // The server reports its collections every 100 ms (src/Gateway/Diagnostics/GcReport.cs). EXCHANGE_ALLOC_REPORT=1
        // in this process's environment is inherited: the server's sampled allocations by type are copied to stderr.
        info.Environment["EXCHANGE_GC_REPORT"] = "1";
        // --verbose: every login and close is logged with its reason (a few lines a run), so a close is explained.
        foreach (var a in new[] { dll, "serve", "--config", configPath, "--address", "127.0.0.1", "--port", "0", "--journal", journal, "--verbose" })
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the server");
        var self = new GatewayProcess(process, directory, ReadPort(process), dll);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null && (e.Data.StartsWith("stage-latency", StringComparison.Ordinal) || e.Data.StartsWith("alloc-report", StringComparison.Ordinal))) Console.Error.WriteLine(e.Data); if (e.Data is not null) lock (self._stderr) self._stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        new Thread(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
                if (ServerGc.TryParse(line, out var gc))
                    lock (self._stderr) self._gc = gc;
        }) { IsBackground = true, Name = "server stdout" }.Start();
        return self;
    }

    public bool Exited => _process.HasExited;

    public string Errors
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }

    private static int ReadPort(Process process)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var line = process.StandardOutput.ReadLine();
            if (line is null) break;
            var m = ListeningOn().Match(line);
            if (m.Success) return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        var errors = process.StandardError.ReadToEnd();
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("the server did not start: " + errors);
    }

    [GeneratedRegex(@"listening on [0-9.]+:(\d+)")]
    private static partial Regex ListeningOn();

    /// <summary>The hash format of docs/protocol.md section 6 (what <c>serve --hash-password</c> prints).</summary>
    private static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, 100_000, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256$100000${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    private static string RunToEnd(string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{dll} {string.Join(' ', args)} failed ({p.ExitCode})");
        return text;
    }

    /// <summary>src/Gateway/bin/CONFIG/TFM/exchange.dll, found by walking up from this binary to the repository.</summary>
    private static string FindDll()
    {
        var baseDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var tfm = Path.GetFileName(baseDir);
        var configuration = Path.GetFileName(Path.GetDirectoryName(baseDir)) ?? "Release";
        for (var d = new DirectoryInfo(baseDir); d is not null; d = d.Parent)
        {
            if (!File.Exists(Path.Combine(d.FullName, "Exchange.sln"))) continue;
            foreach (var c in new[] { configuration, "Release", "Debug" })
            {
                var path = Path.Combine(d.FullName, "src", "Gateway", "bin", c, tfm, "exchange.dll");
                if (File.Exists(path)) return path;
            }
        }
        throw new FileNotFoundException("exchange.dll not found: build src/Gateway or pass --server-dll");
    }
}
