using System.Diagnostics;
using Exchange.Core.Commands;
using Exchange.Core.Pipeline;

namespace Exchange.LoadTest;

/// <summary>
/// Queries during a paced run (issue #13): a market-data late joiner's book query and traders' account queries, spread
/// evenly over the run on a thread of their own, as a gateway's sessions would send them. Query <c>k</c> is planned at
/// start + k x interval and published with correlation −2 − k, so the recorder times it apart from the commands.
/// Late joiners and account queries alternate in proportion.
/// </summary>
internal sealed class QueryProducer(ExchangePipeline pipeline, int lateJoiners, int accountQueries, int accounts, long start, long interval)
{
    public int Count => lateJoiners + accountQueries;

    /// <summary>The planned time of query <paramref name="k"/> (clock ticks).</summary>
    public long Planned(int k) => start + k * interval;

    public void Run()
    {
        var books = 0;
        for (var k = 0; k < Count; k++)
        {
            var due = Planned(k);
            while (Stopwatch.GetTimestamp() < due) Thread.Yield();
            // The k-th query is a book query while books lag their share of the queries so far.
            var book = books < lateJoiners && (long)books * Count <= (long)k * lateJoiners;
            if (book) books++;
            var command = book ? Command.BookQuery() : Command.AccountQuery(1 + k % accounts);
            while (!pipeline.TryPublish(in command, -2 - k, out _))
            {
                if (pipeline.Fault is not null) throw new InvalidOperationException("the pipeline faulted", pipeline.Fault);
                Thread.Yield();
            }
        }
    }
}
