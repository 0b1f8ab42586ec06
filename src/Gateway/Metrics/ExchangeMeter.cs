using System.Diagnostics;
using System.Diagnostics.Metrics;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;

namespace Exchange.Gateway.Metrics;

/// <summary>
/// The server's instruments, in the meter named <see cref="Name"/> (docs/operations.md lists them): what
/// <c>dotnet-counters monitor --counters Exchange</c> shows and what the Prometheus endpoint serves.
/// <para>
/// Nearly all are observable: they read <see cref="MeteredOutput"/>'s counters and <see cref="ExchangeHealth"/> when a
/// listener collects, on the listener's thread, so the output thread only ever stores plain numbers. The latency
/// histograms take their samples from <see cref="SampleRing"/>s that a background thread drains every
/// <see cref="DrainInterval"/>: the output thread never calls into a metrics library.
/// </para>
/// </summary>
internal sealed class ExchangeMeter : IDisposable
{
    /// <summary>The meter's name, for <c>dotnet-counters</c> and the exporter.</summary>
    public const string Name = "Exchange";

    /// <summary>How often the latency samples are moved into their histograms.</summary>
    public static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(100);

    private static readonly string[] CommandNames =
        ["none", "new_order", "cancel", "cancel_all", "amend", "deposit", "withdraw", "deposit_insurance", "set_mark", "funding"];

    private readonly MeteredOutput _output;
    private readonly string[] _instruments;
    private readonly Func<int> _sessions;
    private readonly ExchangePipeline? _pipeline;
    private readonly Histogram<double> _latency;
    private readonly TimedJournal? _journal;
    private readonly GatewayRejects? _gatewayRejects;
    private readonly Histogram<double>? _commits;
    private readonly Thread _drainer;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Lock _drainGate = new();

    /// <param name="output">The metered output handler.</param>
    /// <param name="instruments">Instrument names by id (the <c>instrument</c> label).</param>
    /// <param name="sessions">The number of open connections.</param>
    /// <param name="pipeline">The exchange pipeline, for its ring's occupancy; null without one (tests).</param>
    /// <param name="ringSize">The input ring's slots.</param>
    /// <param name="journal">The pipeline's journal, timed; null without a journal.</param>
    /// <param name="gatewayRejects">The rejections the gateway answers before the exchange; null: none counted (tests).</param>
    public ExchangeMeter(MeteredOutput output, IReadOnlyList<string> instruments, Func<int> sessions, ExchangePipeline? pipeline,
        int ringSize, TimedJournal? journal = null, GatewayRejects? gatewayRejects = null)
    {
        _gatewayRejects = gatewayRejects;
        _journal = journal;
        _output = output;
        _instruments = [.. instruments];
        _sessions = sessions;
        _pipeline = pipeline;
        Meter = new Meter(Name, typeof(ExchangeMeter).Assembly.GetName().Version?.ToString());
        var health = output.Health;

        Meter.CreateObservableCounter("exchange.commands", CommandCounts, "{command}",
            "Commands the exchange has reported since start-up, by type (rejected ones included)");
        Meter.CreateObservableCounter("exchange.rejects", RejectCounts, "{command}",
            "Rejected messages since start-up, by reject code (RULEBOOK section 10) and source: the exchange (the core), or the gateway (answered before the exchange: rate limit, full ring, malformed, not authorized, token rules)");
        _latency = Meter.CreateHistogram<double>("exchange.command.latency", "s",
            "From the gateway handing a command to the exchange to its outcome being in the user's log, ready to send");
        if (journal is not null)
            _commits = Meter.CreateHistogram<double>("exchange.journal.commit.duration", "s",
                "One group commit of the journal: the write of a batch of commands, with fsync=true when it also fsynced");
        Meter.CreateObservableCounter("exchange.metrics.samples.dropped",
            () => output.Latency.Dropped + (journal is null ? 0 : journal.Writes.Dropped + journal.Syncs.Dropped), "{sample}",
            "Latency samples dropped because the metrics thread fell behind (metrics.sampleBuffer)");

        Meter.CreateObservableUpDownCounter("exchange.sessions", () => _sessions(), "{connection}",
            "Open connections (order entry, market data, snapshots and drop copy)");
        Meter.CreateObservableCounter("exchange.pipeline.sequence", Sequences, "{command}",
            "The last command sequence each pipeline stage has passed: claimed by a producer, processed by the business logic, durable in the journal, reported to the users");
        Meter.CreateObservableUpDownCounter("exchange.pipeline.ring.occupancy", RingOccupancy, "{command}",
            "Input ring slots in use: commands claimed but not yet both applied and journaled");
        Meter.CreateObservableUpDownCounter("exchange.pipeline.ring.capacity", () => (long)ringSize, "{command}",
            "Input ring slots (pipeline.ringSize): a full ring answers RATE_LIMITED");
        Meter.CreateObservableUpDownCounter("exchange.pipeline.output.backlog", OutputBacklog, "{command}",
            "Commands applied but not yet reported to the users (waiting for the journal or the output thread)");

        Meter.CreateObservableUpDownCounter("exchange.ledger", () => (Measurement<long>[])
        [
            new(health.Insurance, new KeyValuePair<string, object?>("ledger", "insurance")),
            new(health.Fees, new KeyValuePair<string, object?>("ledger", "fees")),
            new(health.ExchangeLedger, new KeyValuePair<string, object?>("ledger", "exchange")),
        ], "{unit}", "The system ledgers (RULEBOOK section 2) in money units of 10^-decimals");
        Meter.CreateObservableUpDownCounter("exchange.open_interest", OpenInterest, "{lot}",
            "Open interest per instrument: the sum of long positions, in lots");
        Meter.CreateObservableCounter("exchange.trades", () => health.Trades, "{trade}", "Fills since start-up, liquidation fills included");
        Meter.CreateObservableCounter("exchange.liquidations", () => (Measurement<long>[])
        [
            new(health.Liquidations - health.LiquidationsCured, new KeyValuePair<string, object?>("outcome", "closed")),
            new(health.LiquidationsCured, new KeyValuePair<string, object?>("outcome", "cured")),
        ], "{liquidation}", "Liquidations since start-up: closed (positions taken over) or cured (cancelling orders sufficed)");
        Meter.CreateObservableCounter("exchange.adl.closures", AdlClosures, "{closure}",
            "Auto-deleveraging closures since start-up, one per counterparty closed, per instrument");
        Meter.CreateObservableCounter("exchange.haircuts", () => health.Haircuts, "{haircut}",
            "Socialized-loss haircuts since start-up, one per paying account and bankruptcy");
        Meter.CreateObservableCounter("exchange.waterfall", () => (Measurement<long>[])
        [
            new(health.LiquidationFees, new KeyValuePair<string, object?>("flow", "liquidation_fees")),
            new(health.InsurancePaid, new KeyValuePair<string, object?>("flow", "insurance_paid")),
            new(health.HaircutAmount, new KeyValuePair<string, object?>("flow", "socialized")),
            new(health.ExchangeLoss, new KeyValuePair<string, object?>("flow", "exchange_loss")),
            new(health.FundingDust, new KeyValuePair<string, object?>("flow", "funding_dust")),
        ], "{unit}", "Money moved by the loss waterfall and funding since start-up, in money units of 10^-decimals");

        _drainer = new Thread(DrainLoop) { IsBackground = true, Name = "exchange metrics" };
        _drainer.Start();
    }

    /// <summary>The meter; a listener (the exporter, <c>dotnet-counters</c>) subscribes to it by name.</summary>
    public Meter Meter { get; }

    /// <summary>Moves every queued latency sample into the histogram now (the drain thread does it periodically).</summary>
    public void Drain()
    {
        lock (_drainGate)
        {
            var sink = new SecondsSink(_latency, default);
            _output.Latency.Drain(ref sink);
            if (_journal is null) return;
            var writes = new SecondsSink(_commits!, new KeyValuePair<string, object?>("fsync", "false"));
            _journal.Writes.Drain(ref writes);
            var syncs = new SecondsSink(_commits!, new KeyValuePair<string, object?>("fsync", "true"));
            _journal.Syncs.Drain(ref syncs);
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _drainer.Join();
        Meter.Dispose();
        _stop.Dispose();
    }

    private void DrainLoop()
    {
        while (!_stop.Wait(DrainInterval)) Drain();
    }

    private IEnumerable<Measurement<long>> CommandCounts()
    {
        var list = new List<Measurement<long>>(CommandNames.Length);
        for (var t = 1; t < CommandNames.Length; t++)
            list.Add(new(_output.Commands((CommandType)t), new KeyValuePair<string, object?>("type", CommandNames[t])));
        return list;
    }

    private IEnumerable<Measurement<long>> RejectCounts()
    {
        var list = new List<Measurement<long>>();
        for (var c = 1; c < MeteredOutput.RejectCodes; c++)
        {
            var code = (RejectCode)c;
            if (!Enum.IsDefined(code)) continue;
            var name = new KeyValuePair<string, object?>("code", RejectCodeNames.Name(code));
            list.Add(new(_output.Rejects(code), name, new KeyValuePair<string, object?>("source", "exchange")));
            if (_gatewayRejects is not null)
                list.Add(new(_gatewayRejects[code], name, new KeyValuePair<string, object?>("source", "gateway")));
        }
        return list;
    }

    private IEnumerable<Measurement<long>> Sequences()
    {
        var reported = _output.Reported;
        if (_pipeline is null) return [new(reported, new KeyValuePair<string, object?>("stage", "reported"))];
        return
        [
            new(_pipeline.ClaimedSequence, new KeyValuePair<string, object?>("stage", "claimed")),
            new(_pipeline.LastProcessedSequence, new KeyValuePair<string, object?>("stage", "processed")),
            new(_pipeline.DurableSequence, new KeyValuePair<string, object?>("stage", "durable")),
            new(reported, new KeyValuePair<string, object?>("stage", "reported")),
        ];
    }

    private long RingOccupancy() =>
        _pipeline is null ? 0 : Math.Max(0, _pipeline.ClaimedSequence - Math.Min(_pipeline.LastProcessedSequence, _pipeline.DurableSequence));

    private long OutputBacklog() => _pipeline is null ? 0 : Math.Max(0, _pipeline.LastProcessedSequence - _output.Reported);

    private IEnumerable<Measurement<long>> OpenInterest()
    {
        var list = new List<Measurement<long>>(_instruments.Length);
        for (var i = 0; i < _instruments.Length; i++)
            list.Add(new(_output.Health.OpenInterest(i), new KeyValuePair<string, object?>("instrument", _instruments[i])));
        return list;
    }

    private IEnumerable<Measurement<long>> AdlClosures()
    {
        var list = new List<Measurement<long>>(_instruments.Length);
        for (var i = 0; i < _instruments.Length; i++)
            list.Add(new(_output.Health.AdlClosures(i), new KeyValuePair<string, object?>("instrument", _instruments[i])));
        return list;
    }

    private readonly struct SecondsSink(Histogram<double> histogram, KeyValuePair<string, object?> tag) : ISampleSink
    {
        public void Take(long ticks)
        {
            var seconds = (double)ticks / Stopwatch.Frequency;
            if (tag.Key is null) histogram.Record(seconds);
            else histogram.Record(seconds, tag);
        }
    }
}
