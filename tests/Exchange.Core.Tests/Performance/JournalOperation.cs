using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Performance;

/// <summary>
/// Mirror of perf/Exchange.Benchmarks/JournalBenchmarks.cs: append a batch of 64 commands and commit (one write,
/// fsync never) into a temporary directory. Single-threaded: measured on the test thread.
/// </summary>
internal sealed class JournalOperation : BudgetedOperation
{
    private const int BatchSize = 64;
    private const int Batches = 50;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "exchange-alloc-journal-" + Guid.NewGuid().ToString("N"));
    private readonly JournalWriter _writer;
    private Command _command;
    private long _sequence;

    public JournalOperation() : base("JournalBenchmarks.AppendBatchAndCommit")
    {
        _writer = new JournalWriter(new JournalOptions { Directory = _directory, Fsync = FsyncPolicy.Never });
        _command = Command.Limit(account: 42, instrument: 1, Side.Buy, price: 1_000_123, quantity: 7, clientOrderId: 99);
        _command.Timestamp = 1_700_000_000_000_000_000;
    }

    /// <summary>Operation = one command, as in the benchmark (OperationsPerInvoke = 64).</summary>
    public override int OperationsPerRun => Batches * BatchSize;

    public override void WarmUp()
    {
        for (var i = 0; i < 10; i++) Run();
    }

    public override IReadOnlyList<(string Thread, long Bytes)> Measure() => [("test thread", Allocations.Fewest(Run))];

    private void Run()
    {
        for (var b = 0; b < Batches; b++)
        {
            for (var i = 0; i < BatchSize; i++)
            {
                _command.Sequence = ++_sequence;
                _command.Price++;
                _writer.Append(_command);
            }
            _writer.Commit();
        }
    }

    public override void Dispose()
    {
        _writer.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
