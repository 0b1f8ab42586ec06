using Exchange.Client.Protocol;

namespace Exchange.Client;

/// <summary>
/// A reader of the market data (docs/protocol.md section 12), fed into a <see cref="BookBuilder"/> on the receive
/// thread: <see cref="JoinAsync"/> reads a snapshot from the snapshot port (its own SoupBinTCP session, GLIMPSE-style)
/// and then the order log on the market-data port from the sequence number the snapshot's End of Snapshot names;
/// <see cref="LoginAsync"/> reads the order log alone. Read the book through <see cref="Read{T}"/>.
/// </summary>
public sealed class MarketDataClient : IAsyncDisposable, ISoupPacketHandler
{
    private readonly BookBuilder _book = new();
    // Held by the receive thread while it applies one read's packets, so a reader sees the book between reads.
    private readonly Lock _gate = new();
    private readonly List<MarketDataMessage> _history = [];
    private SoupConnection _connection = null!;
    private long _nextSequence;
    // Where the order log is read, to log in again there (ResumeAsync).
    private (string Host, int Port, string Username, string Password, int ReceiveBufferBytes) _source;

    private MarketDataClient()
    {
    }

    /// <summary>Completes when the order-log connection is closed, by either side.</summary>
    public Task Closed => _connection.Closed;

    /// <summary>The last Debug packet's text.</summary>
    public string? Debug => _connection.Debug;

    /// <summary>The session the order log was read in (the server's, from Login Accepted).</summary>
    public string Session { get; private set; } = "";

    /// <summary>The sequence number of the next order-log message expected.</summary>
    public long NextSequence
    {
        get
        {
            lock (_gate) return _nextSequence;
        }
    }

    /// <summary>True when the server ended the last order-log session itself (End of Session: it stopped).</summary>
    public bool EndOfSession { get; private set; }

    /// <summary>Keep every decoded message in <see cref="History"/> (tests).</summary>
    public bool KeepHistory { get; init; }

    public IReadOnlyList<MarketDataMessage> History
    {
        get
        {
            lock (_gate) return _history.ToArray();
        }
    }

    /// <summary>
    /// Connects to the market-data port and logs in: <paramref name="sequence"/> 0 = the order log from its next message
    /// (no snapshot: a book built from it knows only what follows); N ≥ 1 = the order log from message N (1: all of
    /// it). Throws <see cref="InvalidOperationException"/> if rejected.
    /// </summary>
    public static async Task<MarketDataClient> LoginAsync(string host, int port, string username, string password, long sequence = 0,
        TimeSpan? timeout = null, bool keepHistory = false, int receiveBufferBytes = 0)
    {
        var client = new MarketDataClient { KeepHistory = keepHistory };
        await client.FollowAsync(host, port, username, password, sequence, timeout ?? TimeSpan.FromSeconds(10), receiveBufferBytes)
            .ConfigureAwait(false);
        return client;
    }

    /// <summary>
    /// A late joiner: reads a snapshot of every book from <paramref name="snapshotPort"/> (sequenced messages 1, 2, ...
    /// of a session of their own, ending with End of Snapshot), then follows the order log on
    /// <paramref name="marketDataPort"/> from the sequence number End of Snapshot names: no gap, no duplicate. Throws
    /// <see cref="InvalidOperationException"/> if a login is rejected or the snapshot ends early.
    /// </summary>
    public static async Task<MarketDataClient> JoinAsync(string host, int marketDataPort, int snapshotPort, string username,
        string password, TimeSpan? timeout = null, bool keepHistory = false, int receiveBufferBytes = 0)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(10);
        var client = new MarketDataClient { KeepHistory = keepHistory };
        var next = await client.ReadSnapshotAsync(host, snapshotPort, username, password, wait).ConfigureAwait(false);
        await client.FollowAsync(host, marketDataPort, username, password, next, wait, receiveBufferBytes).ConfigureAwait(false);
        return client;
    }

    /// <summary>Reads the book under the receive thread's lock.</summary>
    public T Read<T>(Func<BookBuilder, T> read)
    {
        lock (_gate) return read(_book);
    }

    /// <summary>Waits until <paramref name="done"/> holds for the book, or throws <see cref="TimeoutException"/>.</summary>
    public async Task WaitUntilAsync(Func<BookBuilder, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Read(done))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the market data did not get there in time");
            if (_connection.Closed.IsCompleted) throw new InvalidOperationException($"market-data connection closed: {Debug}");
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    public Task LogoutAsync() => _connection.SendPacketAsync(PacketType.LogoutRequest, default);

    /// <summary>
    /// After the order-log connection closed (<see cref="Closed"/>; an open one is closed first): logs in again at the same address, in the same
    /// <see cref="Session"/>, from <see cref="NextSequence"/>, and goes on feeding the same book, with no gap and no
    /// duplicate (a server restarted on its journal continues its session: docs/protocol.md section 8). Throws
    /// <see cref="InvalidOperationException"/> if the login is rejected (another session: the book cannot be continued)
    /// or the server would start elsewhere than the next sequence number; socket errors and timeouts as they come.
    /// </summary>
    public async Task ResumeAsync(TimeSpan timeout)
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        var next = NextSequence;
        var (host, port, username, password, receiveBufferBytes) = _source;
        long start;
        try
        {
            start = await FollowAsync(host, port, username, password, next, timeout, receiveBufferBytes, Session).ConfigureAwait(false);
        }
        catch
        {
            // Connected but no answer in time: closed, so the next attempt starts clean.
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
        EndOfSession = false;
        if (start != next)
        {
            await DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"the server continued the order log at {start}, not at {next}: the book cannot be continued");
        }
    }

    /// <returns>The order-log sequence number the snapshot's End of Snapshot names.</returns>
    private async Task<long> ReadSnapshotAsync(string host, int port, string username, string password, TimeSpan timeout)
    {
        var reader = new SnapshotReader(this);
        var socket = await SoupConnection.ConnectAsync(host, port, 0, CancellationToken.None).ConfigureAwait(false);
        await using var connection = new SoupConnection(socket, reader, bufferBytes: 64 * 1024, _gate);
        connection.StartReceiving();
        await connection.SendPacketAsync(PacketType.LoginRequest, LoginCodec.Request(username, password, "", 1)).ConfigureAwait(false);
        var result = await connection.Login.WaitAsync(timeout).ConfigureAwait(false);
        if (!result.Accepted) throw new InvalidOperationException($"snapshot login rejected ({result.RejectReason}): {result.Debug}");
        // The server ends the session itself (End of Session, then it closes) once the snapshot is out.
        return await reader.End.WaitAsync(timeout).ConfigureAwait(false);
    }

    /// <returns>The sequence number the server starts from (Login Accepted's).</returns>
    private async Task<long> FollowAsync(string host, int port, string username, string password, long sequence, TimeSpan timeout,
        int receiveBufferBytes, string session = "")
    {
        _source = (host, port, username, password, receiveBufferBytes);
        var socket = await SoupConnection.ConnectAsync(host, port, receiveBufferBytes, CancellationToken.None).ConfigureAwait(false);
        _connection = new SoupConnection(socket, this, bufferBytes: 64 * 1024, _gate);
        _connection.StartReceiving();
        var request = LoginCodec.Request(username, password, session, sequence);
        await _connection.SendPacketAsync(PacketType.LoginRequest, request).ConfigureAwait(false);
        var result = await _connection.Login.WaitAsync(timeout).ConfigureAwait(false);
        if (!result.Accepted)
        {
            await DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"login rejected ({result.RejectReason}): {result.Debug}");
        }
        Session = result.Session.Trim();
        // A heartbeat every second, whatever else was sent.
        _connection.StartHeartbeats(TimeSpan.FromSeconds(1), _ => true);
        return result.NextSequence;
    }

    void ISoupPacketHandler.OnLoginAccepted(long sequence) => _nextSequence = sequence;

    void ISoupPacketHandler.OnPacket(byte type, ReadOnlySpan<byte> payload)
    {
        if (type == PacketType.SequencedData) Decoded(MarketDataMessage.Parse(_nextSequence++, false, payload));
        else if (type == PacketType.EndOfSession) EndOfSession = true;
    }

    void ISoupPacketHandler.OnClosed()
    {
    }

    /// <summary>Receive thread, under the gate.</summary>
    private void Decoded(MarketDataMessage? m)
    {
        if (m is null) return;
        if (KeepHistory) _history.Add(m);
        _book.Apply(m);
    }

    public ValueTask DisposeAsync() => _connection?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>The snapshot session: its sequenced messages into the book, until End of Snapshot.</summary>
    private sealed class SnapshotReader(MarketDataClient client) : ISoupPacketHandler
    {
        private readonly TaskCompletionSource<long> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _next;

        /// <summary>The order-log sequence number End of Snapshot names.</summary>
        public Task<long> End => _end.Task;

        public void OnLoginAccepted(long sequence) => _next = sequence;

        public void OnPacket(byte type, ReadOnlySpan<byte> payload)
        {
            if (type != PacketType.SequencedData || _end.Task.IsCompleted) return;
            var m = MarketDataMessage.Parse(_next++, true, payload);
            client.Decoded(m);
            if (m is { Type: (char)MarketDataFormat.EndOfSnapshot }) _end.TrySetResult(m.Value);
        }

        public void OnClosed() =>
            _end.TrySetException(new InvalidOperationException("the snapshot session ended before End of Snapshot"));
    }
}
