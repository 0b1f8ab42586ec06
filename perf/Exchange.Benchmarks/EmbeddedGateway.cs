using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipelines;
using Exchange.Client.Protocol;
using Exchange.Core.Events;
using Exchange.Core.Pipeline;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Exchange.Benchmarks;

/// <summary>
/// The real gateway without sockets, for <see cref="SessionBenchmarks"/> and its allocation mirror: an embedded
/// <see cref="GatewayServer"/> (its sessions, submitter, pipeline without journal, router, streams and market-data
/// order log, as <c>exchange serve</c> runs them) whose connections are in-memory pipes. A client writes SoupBinTCP
/// frames into a connection and flushes: the session's receive loop runs inline on the client's thread, as it does on a
/// socket thread with inline I/O (frame decode, checks, publish). The output thread routes and, at the end of its batch,
/// runs the session's sender inline, which encodes the messages into the connection's outbound pipe (the session's
/// buffer); the client polls that pipe without waiting on it, so reading it allocates nothing.
/// <para>The cycle (<see cref="RunCycles"/>): trader 1 rests <see cref="Cycles"/> one-lot sells at the mark and places
/// and cancels as many five-lot bids below it; trader 2 takes the sells with IOC buys, then rests as many sells; trader
/// 1 takes those. Every command is answered, both accounts end flat and the book empty, so the cycle repeats
/// forever. Each phase waits for the outcome of its last command.</para>
/// </summary>
public sealed class EmbeddedGateway : IDisposable
{
    /// <summary>Cycles per <see cref="RunCycles"/>; each is six commands.</summary>
    public const int Cycles = 100;
    public const int CommandsPerRun = 6 * Cycles;
    private const long Mid = 120_000; // BTC-PERP, tick 0.5 USD: 60,000 USD
    private const int Btc = 0;

    private readonly GatewayServer _server;
    private readonly List<Client> _clients = [];
    private readonly Client _t1;
    private readonly Client _t2;
    private readonly OutputProbe? _probe;

    /// <param name="topology">The pipeline's topology: <c>single</c> or <c>parallel</c>.</param>
    /// <param name="probeOutputThread">Counts the output thread's allocations (<see cref="OutputThreadBytes"/>).</param>
    public EmbeddedGateway(string topology, bool probeOutputThread = false)
    {
        var defaults = ConfigLoader.Default();
        var config = defaults with
        {
            Port = 0,
            Journal = "",
            Limits = new GatewayLimits
            {
                RatePerSecond = 100_000_000, RateBurst = 100_000_000, FloodRejects = 1_000_000, MaxRateLimitedPerSecond = 1_000_000, IdleTimeoutMs = 600_000,
                LoginTimeoutMs = 600_000, MaxQueuedMessages = 10_000_000, MaxInFlight = 1 << 16,
            },
            Pipeline = new PipelineConfig { RingSize = 4096, Fsync = "never", SnapshotEveryCommands = 0, Topology = topology, WaitStrategy = "yielding" },
            // The smallest window the configuration allows, so that the warm-up fills it and the measured runs reuse it.
            Streams = new StreamsConfig { RetainMessages = 1_000, RetainBytes = 1L << 20, RetainSeconds = 0 },
            Metrics = defaults.Metrics with { Enabled = false },
            DropCopy = [],
            Users =
            [
                new UserConfig { Username = "t1", Role = UserConfig.Trader, Account = 1, Password = PasswordHash.Create("t1-pw") },
                new UserConfig { Username = "t2", Role = UserConfig.Trader, Account = 2, Password = PasswordHash.Create("t2-pw") },
                new UserConfig { Username = "feed", Role = UserConfig.Feed, Password = PasswordHash.Create("feed-pw") },
                new UserConfig { Username = "admin", Role = UserConfig.Admin, Password = PasswordHash.Create("admin-pw") },
            ],
        };
        if (probeOutputThread) _probe = new OutputProbe();
        _server = GatewayServer.Embedded(config, _probe is null ? null : inner => _probe.Wrap(inner));
        _server.StartEmbedded();
        try
        {
            var admin = Connect("admin");
            // Enough for every fee the cycles will ever pay (about 2,400 USD a run and account).
            admin.Send(Inbound.DepositTo(admin.NextToken++, 1, 1_000_000_000_000_000));
            admin.Send(Inbound.DepositTo(admin.NextToken++, 2, 1_000_000_000_000_000));
            admin.WaitForOutcome(admin.NextToken - 1, expect: Outbound.Transfer);
            var feed = Connect("feed");
            feed.Send(Inbound.Mark(feed.NextToken++, Btc, Mid));
            feed.WaitForOutcome(feed.NextToken - 1, expect: Outbound.MarkPriceSet);
            _t1 = Connect("t1");
            _t2 = Connect("t2");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Bytes the output thread allocated while routing and sending, since <see cref="ResetOutputThreadBytes"/>.</summary>
    public long OutputThreadBytes => _probe?.Bytes ?? 0;

    public void ResetOutputThreadBytes() => _probe?.Reset();

    /// <summary><see cref="Cycles"/> cycles: <see cref="CommandsPerRun"/> commands, each answered; returns the last token.</summary>
    public long RunCycles()
    {
        // Trader 1: a resting sell at the mark, a bid below it and that bid's cancel (by its token), per cycle.
        var t1 = _t1;
        var first = t1.NextToken;
        for (var i = 0; i < Cycles; i++)
        {
            t1.EnterOrder(t1.NextToken++, 1, Side.Sell, TimeInForce.Gtc, Mid, 1);
            var bid = t1.NextToken++;
            t1.EnterOrder(bid, 1, Side.Buy, TimeInForce.Gtc, Mid - 10, 5);
            t1.Cancel(t1.NextToken++, 1, bid);
        }
        t1.Flush();
        t1.WaitForOutcome(t1.NextToken - 1, expect: Outbound.OrderCanceled);
        // Trader 2 takes the sells, then rests as many of its own.
        var t2 = _t2;
        for (var i = 0; i < Cycles; i++) t2.EnterOrder(t2.NextToken++, 2, Side.Buy, TimeInForce.Ioc, Mid, 1);
        for (var i = 0; i < Cycles; i++) t2.EnterOrder(t2.NextToken++, 2, Side.Sell, TimeInForce.Gtc, Mid, 1);
        t2.Flush();
        t2.WaitForOutcome(t2.NextToken - 1, expect: Outbound.OrderAccepted);
        // Trader 1 takes them: both flat, the book empty.
        for (var i = 0; i < Cycles; i++) t1.EnterOrder(t1.NextToken++, 1, Side.Buy, TimeInForce.Ioc, Mid, 1);
        t1.Flush();
        t1.WaitForOutcome(t1.NextToken - 1, expect: Outbound.OrderAccepted);
        return t1.NextToken - first;
    }

    private Client Connect(string user)
    {
        var client = new Client(_server, user);
        _clients.Add(client);
        client.Login(user + "-pw");
        return client;
    }

    public void Dispose()
    {
        foreach (var c in _clients) c.Close();
        _server.StopAsync().GetAwaiter().GetResult();
        foreach (var c in _clients) c.Wait();
    }

    private enum Side : byte { Buy = 0, Sell = 1 }

    private enum TimeInForce : byte { Gtc = 0, Ioc = 1 }

    /// <summary>One connection, client side: frames in, messages out, over two in-memory pipes.</summary>
    private sealed class Client
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
        private readonly PipeConnection _connection;
        private readonly Task _session;
        private readonly PipeWriter _toServer;
        private readonly PipeReader _fromServer;
        private readonly string _user;

        public Client(GatewayServer server, string user)
        {
            _user = user;
            _connection = new PipeConnection(user);
            _toServer = _connection.ClientOutput;
            _fromServer = _connection.ClientInput;
            _session = server.RunConnectionAsync(_connection);
        }

        public uint NextToken { get; set; } = 1;

        public void Login(string password)
        {
            var payload = LoginCodec.Request(_user, password, "", 0);
            var span = _toServer.GetSpan(3 + payload.Length);
            BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)(1 + payload.Length));
            span[2] = PacketType.LoginRequest;
            payload.CopyTo(span[3..]);
            _toServer.Advance(3 + payload.Length);
            Flush();
            var reply = Poll(token: 0);
            if (reply != PacketType.LoginAccepted) throw new InvalidOperationException($"{_user}: login refused ({(char)reply})");
        }

        public void Send(byte[] message)
        {
            var span = _toServer.GetSpan(3 + message.Length);
            var h = Inbound.WritePacketHeader(span, message.Length);
            message.CopyTo(span[h..]);
            _toServer.Advance(h + message.Length);
            Flush();
        }

        public void EnterOrder(uint token, uint account, Side side, TimeInForce tif, long price, long quantity)
        {
            var span = _toServer.GetSpan(3 + Inbound.EnterOrderLength);
            var h = Inbound.WritePacketHeader(span, Inbound.EnterOrderLength);
            _toServer.Advance(h + Inbound.WriteNewOrder(span[h..], token, account, Btc, (byte)side, 0, (byte)tif, 0, 0, price, quantity));
        }

        public void Cancel(uint token, uint account, uint orderToken)
        {
            var span = _toServer.GetSpan(3 + Inbound.CancelOrderLength);
            var h = Inbound.WritePacketHeader(span, Inbound.CancelOrderLength);
            _toServer.Advance(h + Inbound.WriteCancel(span[h..], token, account, 0, orderToken));
        }

        /// <summary>Hands the written frames to the session: its receive loop runs here, inline.</summary>
        public void Flush()
        {
            var flush = _toServer.FlushAsync();
            if (!flush.IsCompletedSuccessfully) throw new InvalidOperationException("the inbound pipe has no bound: a flush completes at once");
            _ = flush.Result;
        }

        /// <summary>Reads messages until the first one carrying <paramref name="token"/> (the command's outcome),
        /// which must be of type <paramref name="expect"/>.</summary>
        public void WaitForOutcome(uint token, byte expect)
        {
            var got = Poll(token);
            if (got != expect)
                throw new InvalidOperationException($"{_user}: token {token} answered '{(char)got}', expected '{(char)expect}'");
        }

        /// <summary>
        /// Polls the outbound pipe (never waits on it, so nothing allocates) until the login's answer
        /// (<paramref name="token"/> 0: returns its packet type) or the first message carrying <paramref name="token"/>
        /// (returns its message type).
        /// </summary>
        private byte Poll(uint token)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(Timeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                if (_fromServer.TryRead(out var result))
                {
                    var buffer = result.Buffer;
                    byte found = 0;
                    while (found == 0 && TryFrame(ref buffer, out var type, out var payload))
                    {
                        if (token == 0)
                        {
                            if (type is PacketType.LoginAccepted or PacketType.LoginRejected) found = type;
                        }
                        else if (type == PacketType.SequencedData && payload.Length >= 13
                                 && BinaryPrimitives.ReadUInt32BigEndian(payload[9..]) == token)
                        {
                            found = payload[0];
                        }
                    }
                    _fromServer.AdvanceTo(buffer.Start, buffer.End);
                    if (found != 0) return found;
                    if (result.IsCompleted) throw new InvalidOperationException($"{_user}: the server closed the connection");
                    continue;
                }
                if (_session.IsCompleted) throw new InvalidOperationException($"{_user}: the session ended", _session.Exception);
                if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"{_user}: no answer within {Timeout.TotalSeconds} s");
                Thread.Yield();
            }
        }

        private readonly byte[] _frame = new byte[1 << 16];

        private bool TryFrame(ref ReadOnlySequence<byte> buffer, out byte type, out ReadOnlySpan<byte> payload)
        {
            type = 0;
            payload = default;
            if (buffer.Length < 3) return false;
            Span<byte> header = stackalloc byte[2];
            buffer.Slice(0, 2).CopyTo(header);
            var length = BinaryPrimitives.ReadUInt16BigEndian(header);
            if (buffer.Length < 2 + length) return false;
            var packet = buffer.Slice(2, length);
            ReadOnlySpan<byte> span;
            if (packet.IsSingleSegment)
            {
                span = packet.FirstSpan;
            }
            else
            {
                packet.CopyTo(_frame);
                span = _frame.AsSpan(0, length);
            }
            type = span[0];
            payload = span[1..];
            buffer = buffer.Slice(2 + length);
            return true;
        }

        public void Close() => _toServer.Complete();

        public void Wait()
        {
            try
            {
                _session.Wait(Timeout);
            }
            catch (AggregateException)
            {
                // Ended by the server's stop; nothing to report in a benchmark's clean-up.
            }
        }
    }

    /// <summary>
    /// A connection over two in-memory pipes. Inbound, the session reads with an inline scheduler: a client's flush runs
    /// the receive loop on the client's thread, as inline I/O does on a socket thread. Outbound, the bound is the
    /// transport's (<see cref="GatewayLimits.TransportBufferBytes"/>), as Kestrel sets it.
    /// </summary>
    private sealed class PipeConnection : ConnectionContext
    {
        private readonly Pipe _inbound = new(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0, useSynchronizationContext: false));
        private readonly Pipe _outbound = new(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.ThreadPool,
            pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));
        private readonly CancellationTokenSource _closed = new();

        public PipeConnection(string name)
        {
            ConnectionId = "embedded-" + name;
            Transport = new Duplex(_inbound.Reader, _outbound.Writer);
        }

        public PipeWriter ClientOutput => _inbound.Writer;
        public PipeReader ClientInput => _outbound.Reader;

        public override string ConnectionId { get; set; }
        public override IFeatureCollection Features { get; } = new FeatureCollection();
        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
        public override IDuplexPipe Transport { get; set; }
        public override CancellationToken ConnectionClosed { get => _closed.Token; set { } }

        public override void Abort(ConnectionAbortedException abortReason)
        {
            _inbound.Writer.Complete(abortReason);
            _outbound.Reader.Complete(abortReason);
            _closed.Cancel();
        }

        private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
        {
            public PipeReader Input { get; } = input;
            public PipeWriter Output { get; } = output;
        }
    }

    /// <summary>The output handler with the output thread's allocations counted around each call.</summary>
    private sealed class OutputProbe
    {
        private long _bytes;

        public long Bytes => Volatile.Read(ref _bytes);

        public void Reset() => Volatile.Write(ref _bytes, 0);

        public IOutputHandler Wrap(IOutputHandler inner) => new Handler(inner, this);

        private sealed class Handler(IOutputHandler inner, OutputProbe probe) : IOutputHandler
        {
            public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                inner.OnEvents(commandSequence, correlation, events);
                Interlocked.Add(ref probe._bytes, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            public void OnEndOfBatch()
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                inner.OnEndOfBatch();
                Interlocked.Add(ref probe._bytes, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }
    }
}
