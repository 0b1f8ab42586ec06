using BenchmarkDotNet.Attributes;
using Exchange.Core.Commands;
using Exchange.Core.Journal;

namespace Exchange.Benchmarks;

/// <summary>
/// Group commit as the journal consumer does it: append a batch of <see cref="BatchSize"/> commands, then commit
/// (one write call) with <see cref="FsyncPolicy.Never"/>, so this measures encoding, CRC and the write to the
/// page cache, not the disk. Operation = one command.
/// </summary>
[MemoryDiagnoser]
public class JournalBenchmarks
{
    private const int BatchSize = 64;

    // Bounds the disk the benchmark fills: past this the journal is deleted and started afresh (rare enough, one
    // per ~50k batches, that its cost and allocations round away per operation).
    private const long ResetAfterRecords = 4L * 1024 * 1024;

    private string _directory = null!;
    private JournalWriter _writer = null!;
    private Command _command;
    private long _sequence;
    private long _resetAt;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "exchange-journal-bench-" + Guid.NewGuid().ToString("N"));
        _command = Command.Limit(account: 42, instrument: 1, Side.Buy, price: 1_000_123, quantity: 7, clientOrderId: 99);
        _command.Timestamp = 1_700_000_000_000_000_000;
        OpenFresh();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = BatchSize)]
    public long AppendBatchAndCommit()
    {
        for (int i = 0; i < BatchSize; i++)
        {
            _command.Sequence = _sequence++;
            _command.Price++;
            _writer.Append(_command);
        }

        _writer.Commit();
        if (_sequence >= _resetAt)
            OpenFresh();
        return _writer.FlushedSequence;
    }

    private void OpenFresh()
    {
        _writer?.Dispose();
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
        _writer = new JournalWriter(new JournalOptions { Directory = _directory, Fsync = FsyncPolicy.Never });
        _sequence = 0;
        _resetAt = ResetAfterRecords;
    }
}
