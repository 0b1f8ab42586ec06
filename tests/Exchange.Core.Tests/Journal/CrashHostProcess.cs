using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Journal;

/// <summary>
/// Exchange.CrashHost (copied beside the tests by the project reference) running as a child process: its stdout acks
/// are read on a background thread so the test can wait for a number of them with a deadline, then SIGKILL it.
/// </summary>
internal sealed class CrashHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly StringBuilder _stderr = new();
    private readonly Thread _reader;

    public CrashHostProcess(string directory, int seed, int count, PipelineTopology topology = PipelineTopology.Parallel)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Exchange.CrashHost.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference tests/Exchange.CrashHost.");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(directory);
        start.ArgumentList.Add(seed.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(count.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(topology == PipelineTopology.SingleThread ? "single" : "parallel");
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
        _reader = new Thread(ReadAcks) { IsBackground = true, Name = "crash host stdout" };
        _reader.Start();
    }

    /// <summary>Every sequence acknowledged so far, in the order printed.</summary>
    public List<long> Acks { get; } = new();

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <summary>Reads acks until one reaches <paramref name="sequence"/>; fails after <paramref name="timeout"/>.</summary>
    public void WaitForAck(long sequence, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Acks.Count == 0 || Acks[^1] < sequence)
        {
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero || !_lines.TryTake(out string? line, left))
            {
                Assert.Fail($"The crash host acknowledged up to {(Acks.Count > 0 ? Acks[^1] : 0)}, not {sequence}, within {timeout.TotalSeconds} s " +
                    $"(exited: {_process.HasExited}). stderr:\n{Stderr}");
                return;
            }

            Acks.Add(Parse(line));
        }
    }

    /// <summary>SIGKILLs the host (on Linux, Kill is SIGKILL) and collects the acks it printed before dying.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(10)), "the killed crash host did not exit");
        Assert.True(_reader.Join(TimeSpan.FromSeconds(10)), "the crash host's stdout did not close");
        while (_lines.TryTake(out string? line))
            Acks.Add(Parse(line));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
        _lines.Dispose();
    }

    private long Parse(string line) =>
        long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out long sequence)
            ? sequence
            : throw new Xunit.Sdk.XunitException($"The crash host printed '{line}'. stderr:\n{Stderr}");

    private void ReadAcks()
    {
        string? line;
        while ((line = _process.StandardOutput.ReadLine()) is not null)
            _lines.Add(line);
        _lines.CompleteAdding();
    }
}
