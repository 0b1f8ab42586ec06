using System.Diagnostics;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using Exchange.Gateway.Diagnostics;
using Exchange.Gateway.Streams;
using OrderLog = Exchange.Gateway.MarketData.OrderLog;

namespace Exchange.Gateway.Routing;

/// <summary>
/// The exchange's output side of the gateway: hands each command's events, and nothing else, to the roles that
/// translate them, in this order: the traders' messages (<see cref="ExecutionReports"/>, which records the token
/// outcome through <see cref="TokenOutcomes"/>), the market-data order log (<see cref="OrderLog"/>), the drop copy
/// (<see cref="DropCopyFeed"/>); a market-data late joiner's book query goes to its request. At the end of each batch
/// it wakes the connections whose logs grew (<see cref="WakeBatch"/>). Called on the pipeline's one output thread, in
/// sequence order, once per command, after the command is durable; it never blocks on a socket and never reads the
/// core: the events carry every order's terms, where it rests, the state of each account a command changed, and
/// every field a message echoes. The same code runs behind either pipeline topology. It holds no lock itself; each
/// role states its own.
/// </summary>
internal sealed class OutboundRouter : IOutputHandler
{
    private readonly PendingTable _pending;
    private readonly ExecutionReports _reports;
    private readonly WakeBatch _wakes = new();

    public OutboundRouter(PendingTable pending, IReadOnlyDictionary<int, UserStream> traders)
    {
        _pending = pending;
        _reports = new ExecutionReports(traders, new TokenOutcomes());
    }

    /// <summary>The market-data order log, fed with every state-changing command's events (none until wired).</summary>
    internal OrderLog? MarketData { get; set; }

    /// <summary>The drop copy (docs/protocol.md section 13); none when no group is configured.</summary>
    internal DropCopyFeed? DropCopy { get; set; }

    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        ref var p = ref _pending[correlation];
        long outputAt = 0;
        if (StageLatency.On)
        {
            StageLatency.Record(StageLatency.Output, p.PublishedAt);
            outputAt = Stopwatch.GetTimestamp();
            if (_batchPublishedCount == _batchPublishedAt.Length) Array.Resize(ref _batchPublishedAt, 2 * _batchPublishedAt.Length);
            _batchPublishedAt[_batchPublishedCount++] = p.PublishedAt;
        }
        if (p.Book is { } book)
        {
            if (MarketData is { } log) book.Answer(log, events);
        }
        else
        {
            Route(p.Sender!, p.Token, p.MessageType, commandSequence, events);
        }
        _routed = commandSequence;
        StageLatency.Record(StageLatency.Routed, outputAt);
        _pending.Release(correlation);
    }

    /// <summary>
    /// Re-derivation at start (docs/protocol.md section 8): one journaled command's events, routed exactly as when it
    /// ran, for <paramref name="sender"/> (the user of the command's token space) with the command's token and message
    /// type. The streams skip the messages they already hold (<see cref="MessageLog.BeginRederive"/>). Call
    /// <see cref="OnEndOfBatch"/> after each batch of them, as the pipeline does.
    /// </summary>
    internal void Rederive(UserStream sender, uint token, byte messageType, long commandSequence, ReadOnlySpan<Event> events)
    {
        Route(sender, token, messageType, commandSequence, events);
        _routed = commandSequence;
    }

    /// <summary>One command's messages: the sender's and the traders' (with the token outcome), the order log, the drop copy.</summary>
    private void Route(UserStream sender, uint token, byte messageType, long commandSequence, ReadOnlySpan<Event> events)
    {
        // Each message this command appends is stamped with it (MessageLog: the stream knows what it holds).
        MessageLog.CurrentCommand = commandSequence;
        _reports.OnCommand(sender, token, messageType, commandSequence, events, _wakes);
        // Neither a query nor a gateway reject changes anything the order log or the drop copy show.
        if (messageType != Client.Protocol.Inbound.AccountQuery && !IsGatewayReject(events))
        {
            MarketData?.OnCommand(commandSequence, events, _wakes);
            if (DropCopy is { Any: true } dropCopy) dropCopy.OnCommand(events, _wakes);
        }
        MessageLog.CurrentCommand = 0;
    }

    /// <summary>Whether these are the events of a gateway reject (its answer, alone).</summary>
    internal static bool IsGatewayReject(ReadOnlySpan<Event> events) => events.Length == 1 && events[0].Type == EventType.GatewayRejected;

    /// <summary>
    /// Wakes the connections whose logs grew during the batch, each once, on this thread and holding no lock: their
    /// senders write and send here, saving a thread-pool hand-off per connection and batch (docs/benchmarks.md).
    /// Every stream the batch grew is written first, so from here on every message of every command routed so far is
    /// in its stream's file (<see cref="WrittenThrough"/>).
    /// </summary>
    public void OnEndOfBatch()
    {
        _wakes.Flush();
        if (StageLatency.On)
        {
            // Each command of the batch: from its publication to the end of the batch's sends (its whole stay here).
            for (var i = 0; i < _batchPublishedCount; i++) StageLatency.Record(StageLatency.Sent, _batchPublishedAt[i]);
            _batchPublishedCount = 0;
        }
        Volatile.Write(ref _writtenThrough, _routed);
        StageLatency.OutputThreadAllocated();
    }

    // Stage latency only: when each command of the current batch was published (output thread).
    private long[] _batchPublishedAt = StageLatency.On ? new long[1024] : [];
    private int _batchPublishedCount;

    // The last command routed (output thread), and the last one at the end of a batch, when all streams were written.
    private long _routed;
    private long _writtenThrough;

    /// <summary>
    /// The newest command sequence at or below which every command's messages are written to their streams' files:
    /// the routed commands as of the last end of batch. The stream store persists it (a restart re-derives what is
    /// after it); any thread may read it.
    /// </summary>
    public long WrittenThrough
    {
        get => Volatile.Read(ref _writtenThrough);
        internal set
        {
            _routed = value;
            Volatile.Write(ref _writtenThrough, value);
        }
    }
}
