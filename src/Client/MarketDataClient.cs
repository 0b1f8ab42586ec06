using System.Net.Sockets;
using Exchange.Client.Protocol;

namespace Exchange.Client;

/// <summary>
/// A reader of the market-data session (docs/protocol.md section 12): SoupBinTCP login and heartbeats on the
/// market-data port, the late joiner's snapshot (unsequenced) and the order log (sequenced) fed into a
/// <see cref="BookBuilder"/> on the receive thread. Read the book through <see cref="Read{T}"/>.
/// </summary>
public sealed class MarketDataClient : IAsyncDisposable, ISoupPacketHandler
{
    private readonly SoupConnection _connection;
    private readonly BookBuilder _book = new();
    // Held by the receive thread while it applies one read's packets, so a reader sees the book between reads.
    private readonly Lock _gate = new();
    private readonly List<MarketDataMessage> _history = [];
    private long _nextSequence;

    private MarketDataClient(Socket socket) => _connection = new SoupConnection(socket, this, bufferBytes: 64 * 1024, _gate);

    /// <summary>Completes when the connection is closed, by either side.</summary>
    public Task Closed => _connection.Closed;

    /// <summary>The last Debug packet's text.</summary>
    public string? Debug => _connection.Debug;

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
    /// Connects to the market-data port and logs in: <paramref name="sequence"/> 0 = snapshot, then the order log live;
    /// N ≥ 1 = the order log from message N (no snapshot). Throws <see cref="InvalidOperationException"/> if rejected.
    /// </summary>
    public static async Task<MarketDataClient> LoginAsync(string host, int port, string username, string password, long sequence = 0,
        TimeSpan? timeout = null, bool keepHistory = false, int receiveBufferBytes = 0)
    {
        var socket = await SoupConnection.ConnectAsync(host, port, receiveBufferBytes, CancellationToken.None).ConfigureAwait(false);
        var client = new MarketDataClient(socket) { KeepHistory = keepHistory };
        client._connection.StartReceiving();
        var request = LoginCodec.Request(username, password, "", sequence);
        await client._connection.SendPacketAsync(PacketType.LoginRequest, request).ConfigureAwait(false);
        var result = await client._connection.Login.WaitAsync(timeout ?? TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (!result.Accepted)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"login rejected ({result.RejectReason}): {result.Debug}");
        }
        // A heartbeat every second, whatever else was sent.
        client._connection.StartHeartbeats(TimeSpan.FromSeconds(1), _ => true);
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

    void ISoupPacketHandler.OnLoginAccepted(long sequence) => _nextSequence = sequence;

    void ISoupPacketHandler.OnPacket(byte type, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case PacketType.SequencedData:
                Decoded(MarketDataMessage.Parse(_nextSequence++, false, payload));
                break;
            case PacketType.UnsequencedData:
                Decoded(MarketDataMessage.Parse(0, true, payload));
                break;
        }
    }

    void ISoupPacketHandler.OnClosed()
    {
    }

    private void Decoded(MarketDataMessage? m)
    {
        if (m is null) return;
        if (KeepHistory) _history.Add(m);
        _book.Apply(m);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
