using BenchmarkDotNet.Attributes;
using Exchange.Gateway.Streams;

namespace Exchange.Benchmarks;

/// <summary>
/// What the output thread pays per message for a user's stream: commit a message into the stream's memory, and flush the stream once per command or once per batch of commands (<see cref="MessageLog.Flush"/>: with <see cref="Persisted"/>, one write call to the
/// stream's file, page cache only, before readers may see it). A command typically gives one stream
/// <see cref="MessagesPerFlush"/> messages (an order's A, its P and B; an execution's E, P, B). Operation = one message
/// of 60 bytes (an execution report is 68, an acceptance 56). The retention window (10,000 messages, 1 MiB files)
/// keeps memory and disk bounded as the run goes on, as the server's does.
/// </summary>
[MemoryDiagnoser]
public class StreamBenchmarks
{
    private const int MessagesPerFlush = 3;
    private const int MessageLength = 60;

    [Params(false, true)]
    public bool Persisted { get; set; }

    /// <summary>Commands per flush: 1 is a flush per command (before issue 16), more is the router's flush once per
    /// stream and output batch (a batch of that many commands touching this stream).</summary>
    [Params(1, 16)]
    public int CommandsPerFlush { get; set; }

    private string _directory = null!;
    private MessageLog _log = null!;
    private readonly byte[] _message = new byte[MessageLength];

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "exchange-stream-bench-" + Guid.NewGuid().ToString("N"));
        var window = new RetentionWindow(10_000, 64L * 1024 * 1024, 0, 1L << 20);
        _log = Persisted ? new MessageLog(window, new StreamFile(_directory, window.FileBytes)) : new MessageLog(window);
        MessageLog.CurrentCommand = 1;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = MessagesPerFlush * 16)]
    public long AppendAndFlush()
    {
        // 16 commands per invocation either way, so both cases divide by the same count.
        for (var c = 0; c < 16; c++)
        {
            MessageLog.CurrentCommand++;
            for (var i = 0; i < MessagesPerFlush; i++)
            {
                _message[0]++;
                _log.Append(_message);
            }
            if ((c + 1) % CommandsPerFlush == 0) _log.Flush();
        }
        return _log.Published;
    }
}
