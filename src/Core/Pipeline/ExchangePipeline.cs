using System.Diagnostics;
using Exchange.Core.Commands;
using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The exchange behind the LMAX pipeline. Producers (the gateway's I/O threads) publish commands into a preallocated
/// input ring; a journaler appends them to the input journal and commits per batch while, in parallel, the
/// business-logic processor, the one thread that owns the <see cref="Exchange"/>, applies them and copies their
/// events into an output ring; the output consumer hands each command's events to the <see cref="IOutputHandler"/>
/// once the journaler has committed the command. Nothing is allocated per command. That is the
/// <see cref="PipelineTopology.Parallel"/> layout; <see cref="PipelineTopology.SingleThread"/> runs the same stages, in
/// the same order and with the same durability gate, on one thread behind the input ring.
/// </summary>
/// <remarks>
/// Sequences continue from <see cref="Exchange.LastSequence"/> of the exchange given (0 for a fresh one, the last
/// recovered command after <see cref="Recovery.Recover(PipelineOptions, Func{Exchange})"/>). From
/// <see cref="Start"/> until <see cref="Dispose"/> returns, the exchange belongs to the business-logic thread: read
/// it only after disposing. If a stage throws (a journal I/O error, an output handler bug) it stops, the output stops
/// with it (nothing undurable is ever acknowledged), <see cref="Fault"/> says why, and the ring soon reports
/// backpressure.
/// </remarks>
public sealed class ExchangePipeline : IDisposable
{
    private const int Created = 0;
    private const int Running = 1;
    private const int Stopping = 2;
    private const int Stopped = 3;

    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    private readonly RingBuffer<CommandSlot> _input;
    private readonly PipelineStages _stages;
    private readonly IJournal? _journal;
    // Whether the pipeline opened the journal (and so closes it); an injected one stays the caller's.
    private readonly bool _ownsJournal;
    private readonly PipelineAbort _abort = new();
    private readonly TimeProvider _time;
    private readonly long _base;
    private readonly Exchange _exchange;
    private readonly bool _snapshotOnStop;
    private readonly object _lifecycle = new();
    private int _state;

    /// <summary>Builds the pipeline around <paramref name="exchange"/>; no thread runs until <see cref="Start"/>.</summary>
    /// <param name="exchange">The state machine, fresh or recovered; the pipeline takes it over.</param>
    /// <param name="options">Ring sizes, wait strategy, journal and snapshots.</param>
    /// <param name="output">Receives every command's events.</param>
    /// <exception cref="InvalidOperationException">The journal already holds commands after the exchange's last sequence (recover first).</exception>
    /// <exception cref="JournalCorruptException">The journal's last file is damaged other than by a torn tail.</exception>
    public ExchangePipeline(Exchange exchange, PipelineOptions options, IOutputHandler output)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        options.Validate();

        _base = exchange.LastSequence;
        _exchange = exchange;
        _snapshotOnStop = options.SnapshotOnStop;
        _time = options.TimeProvider;
        // Opening files repairs a torn tail; a journal ahead of the exchange means the state was not recovered from it.
        _ownsJournal = options.Journal is not null;
        _journal = _ownsJournal ? new JournalWriter(options.Journal!) : options.JournalInstance;
        if (_journal is not null && _journal.LastSequence > _base)
        {
            long journaled = _journal.LastSequence;
            CloseJournal();
            throw new InvalidOperationException(
                $"The journal ({options.Journal?.Directory ?? _journal.GetType().Name}) ends at sequence {journaled} but the exchange is at {_base}: recover the exchange from it first.");
        }

        try
        {
            var snapshots = options.Snapshots ? new SnapshotStore(options.SnapshotDirectory!, options.SnapshotsToKeep) { Floor = options.RetentionFloor } : null;
            _stages = PipelineStages.Create(options, exchange, _journal, snapshots, output, _abort);
        }
        catch
        {
            CloseJournal();
            throw;
        }

        _input = _stages.Input;
    }

    /// <summary>
    /// The sequence of the last command a producer claimed a slot for (published, or being published): with
    /// <see cref="LastProcessedSequence"/> and <see cref="DurableSequence"/>, how full the input ring is. Any thread.
    /// </summary>
    public long ClaimedSequence => _input.Cursor + 1 + _base;

    /// <summary>The sequence of the last command the business-logic processor applied.</summary>
    public long LastProcessedSequence => _stages.Processed.Value + 1 + _base;

    /// <summary>
    /// The sequence up to which commands are committed to the journal (fsynced per its policy): the output never
    /// runs ahead of it. With journaling off nothing is durable and this is <see cref="LastProcessedSequence"/>.
    /// </summary>
    public long DurableSequence => (_stages.Journaled ?? _stages.Processed).Value + 1 + _base;

    /// <summary>The sequence of the newest snapshot this pipeline has written; 0 before any.</summary>
    public long LastSnapshotSequence => _stages.Snapshots?.LastSequence ?? 0;

    /// <summary>The exception that stopped a stage, if one did; the pipeline no longer makes progress then.</summary>
    public Exception? Fault => _stages.Fault;

    /// <summary>True once <see cref="Dispose"/> returned and no thread of the pipeline runs any more (false if one did
    /// not stop within the shutdown timeout): only then may another thread use the exchange.</summary>
    public bool HasStopped => Volatile.Read(ref _threadsStopped);

    private bool _threadsStopped;

    /// <summary>How many journal files retention removed or archived (files wholly covered by the oldest snapshot kept).</summary>
    public long RemovedJournalFiles => _stages.Snapshots?.RemovedJournalFiles ?? 0;

    /// <summary>The last failure to write a snapshot; the pipeline goes on without it (the journal holds everything).</summary>
    public Exception? SnapshotFault => _stages.Snapshots?.Fault;

    /// <summary>Starts the pipeline's threads (journaler, business logic and output, or the one thread of
    /// <see cref="PipelineTopology.SingleThread"/>). Commands published before are kept and run first.</summary>
    /// <exception cref="InvalidOperationException">Already started or disposed.</exception>
    public void Start()
    {
        lock (_lifecycle)
        {
            if (_state != Created)
                throw new InvalidOperationException("The pipeline was already started or disposed.");
            _stages.Start();
            _state = Running;
        }
    }

    /// <summary>
    /// Enters a command: stamps its <see cref="Command.Sequence"/> and, unless the producer stamped it (the gateway
    /// stamps the time its message arrived), its <see cref="Command.Timestamp"/> (ns since the Unix epoch, from
    /// <see cref="PipelineOptions.TimeProvider"/>; not monotonic across producers), and publishes it. The timestamp is
    /// journaled and carried by every event of the command.
    /// Thread-safe with <see cref="ProducerType.Multi"/>; with <see cref="ProducerType.Single"/> only one thread may
    /// call it, and it must not overlap <see cref="Dispose"/>. Never blocks and never allocates.
    /// </summary>
    /// <param name="command">The command; its sequence is overwritten, and its timestamp when it is 0.</param>
    /// <param name="correlation">The caller's routing id (a session id), handed back with the events.</param>
    /// <param name="sequence">The command's sequence, when accepted.</param>
    /// <returns>False when the input ring is full (backpressure: retry later or reject) or the pipeline is being disposed.</returns>
    public bool TryPublish(in Command command, long correlation, out long sequence) =>
        TryPublish(in command, correlation, headroom: 0, out sequence);

    /// <summary>
    /// As <see cref="TryPublish(in Command, long, out long)"/>, but also false while <paramref name="headroom"/> slots or
    /// fewer are free: the rest of the ring stays for publishers that pass a smaller headroom (the gateway keeps a reserve
    /// for its own rejects, which must be journaled to be answered). The check precedes the claim, so concurrent
    /// publishers may each take one slot of the reserve at worst.
    /// </summary>
    public bool TryPublish(in Command command, long correlation, int headroom, out long sequence) =>
        TryPublish(in command, correlation, headroom, signal: true, out sequence);

    /// <summary>
    /// Whether producers may run the pipeline on their own threads (<see cref="PipelineOptions.InlineRuns"/> with the
    /// single-thread topology): then <see cref="TryPublishDeferred"/> does not wake the pipeline thread.
    /// </summary>
    public bool InlineRuns => _stages.InlineRuns;

    /// <summary>
    /// As <see cref="TryPublish(in Command, long, int, out long)"/>, but with <see cref="InlineRuns"/> it wakes no
    /// pipeline thread: the caller must call <see cref="RunPublished"/> after it (it may publish several commands first,
    /// which then run as one batch). Without inline runs it is <see cref="TryPublish(in Command, long, int, out long)"/>.
    /// </summary>
    public bool TryPublishDeferred(in Command command, long correlation, int headroom, out long sequence) =>
        TryPublish(in command, correlation, headroom, signal: !_stages.InlineRuns, out sequence);

    /// <summary>
    /// With <see cref="InlineRuns"/>: runs the pipeline (journal, commit, apply, output handler) on the calling thread
    /// over every command published, unless another thread is running it, which then takes them before it lets go.
    /// The output handler runs on the calling thread then, holding no lock of the pipeline. Without inline runs: nothing.
    /// Call it holding no lock the output handler takes.
    /// </summary>
    public void RunPublished() => _stages.RunPublished();

    private bool TryPublish(in Command command, long correlation, int headroom, bool signal, out long sequence)
    {
        if (Volatile.Read(ref _state) >= Stopping || (headroom > 0 && !_input.HasAvailableCapacity(headroom + 1))
            || !_input.TryNext(out long slotSequence))
        {
            sequence = 0;
            return false;
        }

        ref var slot = ref _input[slotSequence];
        slot.Command = command;
        slot.Command.Sequence = sequence = slotSequence + 1 + _base;
        if (command.Timestamp == 0)
            slot.Command.Timestamp = (_time.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        slot.Correlation = correlation;
        // Dispose sets the state before it reads the cursor to drain up to, and a multi-producer claim is a locked
        // compare-and-swap: a claim Dispose did not see therefore sees Stopping here, and its slot is refused
        // rather than left unprocessed after the drain.
        bool refused = Volatile.Read(ref _state) >= Stopping;
        slot.Refused = refused;
        if (signal)
            _input.Publish(slotSequence);
        else
            _input.PublishWithoutSignal(slotSequence);
        if (refused)
            sequence = 0;
        return !refused;
    }

    /// <summary>
    /// Enters several commands at once, as the Disruptor's batch publish does: one claim of
    /// <c>commands.Length</c> slots, each stamped as <see cref="TryPublish(in Command, long, out long)"/> stamps it
    /// (one clock read for the batch's unstamped commands), and one publish of the range, so the consumer is signalled once and a
    /// multi-producer ring takes one compare-and-swap instead of one per command. All or nothing.
    /// </summary>
    /// <param name="commands">The commands, in order; at most the input ring's size.</param>
    /// <param name="correlations">Each command's routing id; the same length as <paramref name="commands"/>.</param>
    /// <param name="firstSequence">The first command's sequence (the others follow it), when accepted.</param>
    /// <returns>False when the ring has no room for all of them or the pipeline is being disposed: none is entered.</returns>
    public bool TryPublishBatch(ReadOnlySpan<Command> commands, ReadOnlySpan<long> correlations, out long firstSequence)
    {
        int n = commands.Length;
        if (correlations.Length != n)
            throw new ArgumentException("one correlation per command", nameof(correlations));
        firstSequence = 0;
        if (n == 0)
            return true;
        if (Volatile.Read(ref _state) >= Stopping || !_input.TryNext(n, out long hi))
            return false;

        long lo = hi - n + 1;
        long timestamp = (_time.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        // As in the single publish: a claim that Dispose did not see sees Stopping here and refuses every slot.
        bool refused = Volatile.Read(ref _state) >= Stopping;
        for (int i = 0; i < n; i++)
        {
            ref var slot = ref _input[lo + i];
            slot.Command = commands[i];
            slot.Command.Sequence = lo + i + 1 + _base;
            if (commands[i].Timestamp == 0)
                slot.Command.Timestamp = timestamp;
            slot.Correlation = correlations[i];
            slot.Refused = refused;
        }
        _input.Publish(lo, hi);
        if (!refused)
            firstSequence = lo + 1 + _base;
        return !refused;
    }

    /// <summary>
    /// Stops the pipeline: refuses new commands, lets every command published before run through the journal, the
    /// business logic and the output handler, waits for a snapshot being written, stops the threads, snapshots the final
    /// state (when snapshots are on) and closes the journal (fsynced). A stage that faulted is not waited for. Commands published without <see cref="Start"/>
    /// are discarded.
    /// </summary>
    public void Dispose()
    {
        lock (_lifecycle)
        {
            if (_state == Stopped)
                return;
            bool running = _state == Running;
            // Interlocked: a full fence, so the cursor read below cannot happen before the store (see TryPublish).
            Interlocked.Exchange(ref _state, Stopping);
            if (running)
            {
                Drain();
                _stages.Snapshots?.Finish(ShutdownTimeout);
            }

            _abort.Request();
            _stages.Halt();
            bool stopped = !running || _stages.WaitForShutdown(ShutdownTimeout);
            // Every command is applied and journaled and no thread owns the exchange now: the final state is a
            // snapshot, so the next start replays nothing (and retention can drop the journal behind it).
            if (running && stopped && _stages.Fault is null && _snapshotOnStop)
                _stages.Snapshots?.TakeFinal(_exchange);
            // A journaler thread that did not stop still owns the writer; leave the file to the OS then.
            if (stopped)
                CloseJournal();
            _threadsStopped = stopped;
            _state = Stopped;
        }
    }

    private void CloseJournal()
    {
        if (_ownsJournal)
            _journal!.Dispose();
    }

    private void Drain()
    {
        long claimed = _input.Cursor;
        // Every claim up to the cursor is published promptly (TryPublish does not wait between claim and publish).
        WaitUntil(() => _stages.Drained(claimed));
    }

    private void WaitUntil(Func<bool> done)
    {
        var spin = new SpinWait();
        while (!done() && _stages.Fault is null)
            spin.SpinOnce();
    }
}
