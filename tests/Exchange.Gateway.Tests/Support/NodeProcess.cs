using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Exchange.Gateway.Tests.Support;

/// <summary>
/// One cluster node as a child process (Exchange.ClusterNodeHost.dll beside the tests: ClusterHost as
/// <c>exchange serve --cluster</c> runs it). Its stdout is read on a thread: the state hash after every log entry it
/// applied goes into <see cref="Hashes"/>, which outlives the process so a restarted node is checked against what it
/// reported before; whether it leads is <see cref="Term"/>.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Thread _reader;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _term;
    private long _lastApplied;

    public NodeProcess(string config, int node, ConcurrentDictionary<long, ulong> hashes, ConcurrentQueue<string> mismatches)
    {
        Id = node;
        Hashes = hashes;
        Mismatches = mismatches;
        var dll = Path.Combine(AppContext.BaseDirectory, "Exchange.ClusterNodeHost.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference tests/Exchange.ClusterNodeHost.");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(config);
        start.ArgumentList.Add(node.ToString(CultureInfo.InvariantCulture));
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
        _reader = new Thread(Read) { IsBackground = true, Name = $"node {node} stdout" };
        _reader.Start();
    }

    public int Id { get; }

    /// <summary>Log index → state hash after it, as this node (in any of its lives) applied it.</summary>
    public ConcurrentDictionary<long, ulong> Hashes { get; }

    /// <summary>Indexes this node reported two different hashes for (it must never happen).</summary>
    public ConcurrentQueue<string> Mismatches { get; }

    /// <summary>The term in which the node takes orders now, 0 while it follows.</summary>
    public long Term => Interlocked.Read(ref _term);

    /// <summary>The last log index the node applied in this life.</summary>
    public long LastApplied => Interlocked.Read(ref _lastApplied);

    public bool HasExited => _process.HasExited;

    /// <summary>The cluster's session id, once the node said it knows it (blank before).</summary>
    public string Session { get; private set; } = "";

    /// <summary>Accounts 1-4's balances in the committed state, said at a clean stop.</summary>
    public ConcurrentDictionary<int, long> Balances { get; } = new();

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public Task Started => _started.Task;

    /// <summary>SIGKILL (on Linux, Kill is SIGKILL): no clean-up of any kind.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(10)), $"node {Id} did not die");
        Interlocked.Exchange(ref _term, 0);
    }

    /// <summary>Stops the node cleanly (closes its stdin) and returns its last line: "stopped INDEX HASH ok|violations".</summary>
    public async Task<string> StopAsync(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        var line = await _stopped.Task.WaitAsync(timeout);
        Assert.True(_process.WaitForExit(timeout), $"node {Id} did not exit");
        return line;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Read()
    {
        try
        {
            while (_process.StandardOutput.ReadLine() is { } line)
            {
                var parts = line.Split(' ');
                switch (parts[0])
                {
                    case "applied":
                        var index = long.Parse(parts[1], CultureInfo.InvariantCulture);
                        var hash = ulong.Parse(parts[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                        if (Hashes.GetOrAdd(index, hash) != hash)
                            Mismatches.Enqueue($"node {Id} applied index {index} twice with different states");
                        Interlocked.Exchange(ref _lastApplied, index);
                        break;
                    case "leader":
                        Interlocked.Exchange(ref _term, long.Parse(parts[1], CultureInfo.InvariantCulture));
                        break;
                    case "follower":
                        Interlocked.Exchange(ref _term, 0);
                        break;
                    case "session":
                        Session = parts[1];
                        break;
                    case "balance":
                        Balances[int.Parse(parts[1], CultureInfo.InvariantCulture)] = long.Parse(parts[2], CultureInfo.InvariantCulture);
                        break;
                    case "started":
                        _started.TrySetResult();
                        break;
                    case "stopped":
                        _stopped.TrySetResult(line);
                        break;
                }
            }
        }
        finally
        {
            _started.TrySetException(new InvalidOperationException($"node {Id} exited before it started: {Stderr}"));
            _stopped.TrySetException(new InvalidOperationException($"node {Id} exited without stopping cleanly: {Stderr}"));
        }
    }
}
