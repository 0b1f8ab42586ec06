using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Exchange.Core.Journal;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Streams;

/// <summary>
/// The cluster's internal stream fetch (docs/cluster.md, "Streams in snapshots"): a node that installed a snapshot asks
/// a peer for the messages of one stream it lacks, numbers <c>from</c> to <c>to</c>, and gets them as the peer stores
/// them (each record's 14-byte header: length, CRC32C, command stamp with its outcome flag; then the message), so the
/// stream it writes is the peer's byte for byte. Between nodes only, on each member's streams address.
/// <code>
/// request:  'F', u16 session length, session (ASCII), u16 name length, name (ASCII), i64 from, i64 to   (little-endian)
/// answer:   'A', i64 first, i64 count, then count records  (first = max(from, the peer's oldest kept); first + count - 1 = to)
///           'N', u16 reason length, reason (ASCII)        (another session, no such stream, or the peer holds fewer than to)
/// </code>
/// A connection carries any number of requests, one after the other. Everything a fetcher receives is checked (each
/// record's CRC and length, the count, that first is not before from) before it is written.
/// </summary>
internal static class StreamFetch
{
    public const byte Request = (byte)'F';
    public const byte Answer = (byte)'A';
    public const byte Refused = (byte)'N';

    /// <summary>What a fetch came back with: the first message the peer sent (at or after the one asked for) and how
    /// many were appended; or why the peer could not supply the range.</summary>
    public readonly record struct Result(long First, long Appended, string? Refusal);

    /// <summary>Asks <paramref name="peer"/> for messages <paramref name="from"/>..<paramref name="to"/> of stream
    /// <paramref name="name"/> and hands each checked record to <paramref name="append"/> in order (its number, the record).
    /// Throws <see cref="InvalidDataException"/> on anything malformed (the records handed over before it are sound).</summary>
    public static async Task<Result> FetchAsync(Stream connection, string session, string name, long from, long to,
        Action<long, ReadOnlyMemory<byte>> append, CancellationToken cancel)
    {
        var s = Encoding.ASCII.GetBytes(session);
        var n = Encoding.ASCII.GetBytes(name);
        var request = new byte[1 + 2 + s.Length + 2 + n.Length + 16];
        request[0] = Request;
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(1), (ushort)s.Length);
        s.CopyTo(request, 3);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(3 + s.Length), (ushort)n.Length);
        n.CopyTo(request, 5 + s.Length);
        BinaryPrimitives.WriteInt64LittleEndian(request.AsSpan(5 + s.Length + n.Length), from);
        BinaryPrimitives.WriteInt64LittleEndian(request.AsSpan(13 + s.Length + n.Length), to);
        await connection.WriteAsync(request, cancel).ConfigureAwait(false);
        await connection.FlushAsync(cancel).ConfigureAwait(false);

        var head = new byte[17];
        await connection.ReadExactlyAsync(head.AsMemory(0, 1), cancel).ConfigureAwait(false);
        if (head[0] == Refused)
        {
            await connection.ReadExactlyAsync(head.AsMemory(0, 2), cancel).ConfigureAwait(false);
            var reason = new byte[BinaryPrimitives.ReadUInt16LittleEndian(head)];
            await connection.ReadExactlyAsync(reason, cancel).ConfigureAwait(false);
            return new Result(0, 0, Encoding.ASCII.GetString(reason));
        }
        if (head[0] != Answer) throw new InvalidDataException($"the peer answered with {head[0]}, not a stream fetch answer");
        await connection.ReadExactlyAsync(head.AsMemory(1, 16), cancel).ConfigureAwait(false);
        var first = BinaryPrimitives.ReadInt64LittleEndian(head.AsSpan(1));
        var count = BinaryPrimitives.ReadInt64LittleEndian(head.AsSpan(9));
        if (first < from || count < 0 || first + count - 1 != to)
            throw new InvalidDataException($"the peer sent messages {first} to {first + count - 1} of {name}, asked {from} to {to}");
        var record = new byte[MessageLog.HeaderLength + MessageLog.MaxMessageLength];
        for (long i = 0; i < count; i++)
        {
            await connection.ReadExactlyAsync(record.AsMemory(0, MessageLog.HeaderLength), cancel).ConfigureAwait(false);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(record);
            if (length > MessageLog.MaxMessageLength)
                throw new InvalidDataException($"message {first + i} of {name} from the peer is {length} bytes long");
            await connection.ReadExactlyAsync(record.AsMemory(MessageLog.HeaderLength, length), cancel).ConfigureAwait(false);
            var total = MessageLog.HeaderLength + length;
            if (BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(2)) != Crc32C.Compute(record.AsSpan(6, total - 6)))
                throw new InvalidDataException($"message {first + i} of {name} from the peer fails its checksum");
            append(first + i, record.AsMemory(0, total));
        }
        return new Result(first, count, null);
    }

    /// <summary>Serves fetches from this node's streams (<paramref name="streams"/> by name) in session
    /// <paramref name="session"/>, until <paramref name="cancel"/>: at most <paramref name="maxConnections"/> connections
    /// at a time (one more is closed at once, with a warning), each closed when no request begins within
    /// <paramref name="idle"/> (a peer's fetch asks at once and ends its connection after its round).</summary>
    public static async Task ServeAsync(TcpListener listener, Func<string> session, IReadOnlyDictionary<string, MessageLog> streams,
        ILogger log, int maxConnections, TimeSpan idle, CancellationToken cancel)
    {
        var open = 0;
        while (!cancel.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (Interlocked.Increment(ref open) > maxConnections)
            {
                Interlocked.Decrement(ref open);
                log.LogWarning("A stream fetch connection from {Remote} was closed: {Max} are open already", socket.RemoteEndPoint, maxConnections);
                socket.Dispose();
                continue;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeConnectionAsync(socket, session, streams, log, idle, cancel).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref open);
                }
            }, CancellationToken.None);
        }
    }

    private static async Task ServeConnectionAsync(Socket socket, Func<string> session, IReadOnlyDictionary<string, MessageLog> streams,
        ILogger log, TimeSpan idle, CancellationToken cancel)
    {
        socket.NoDelay = true;
        await using var network = new NetworkStream(socket, ownsSocket: true);
        await using var output = new BufferedStream(network, 1 << 16);
        var buffer = new byte[2 + 1024];
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                try
                {
                    using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                    waiting.CancelAfter(idle);
                    await network.ReadExactlyAsync(buffer.AsMemory(0, 1), waiting.Token).ConfigureAwait(false);
                }
                catch (EndOfStreamException)
                {
                    return;
                }
                if (buffer[0] != Request) return;
                var asked = await ReadStringAsync(network, buffer, cancel).ConfigureAwait(false);
                var name = await ReadStringAsync(network, buffer, cancel).ConfigureAwait(false);
                await network.ReadExactlyAsync(buffer.AsMemory(0, 16), cancel).ConfigureAwait(false);
                var from = BinaryPrimitives.ReadInt64LittleEndian(buffer);
                var to = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(8));
                streams.TryGetValue(name, out var stream);
                var refusal = asked != session() ? $"this node's session is '{session()}', not '{asked}'"
                    : stream is null ? $"no stream {name} on this node"
                    : from < 1 || to < from ? $"no messages {from} to {to}"
                    : stream.Published < to ? $"this node holds {stream.Published} messages of {name}, fewer than {to}"
                    : null;
                if (refusal is not null)
                {
                    var reason = Encoding.ASCII.GetBytes(refusal);
                    output.WriteByte(Refused);
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)reason.Length);
                    await output.WriteAsync(buffer.AsMemory(0, 2), cancel).ConfigureAwait(false);
                    await output.WriteAsync(reason, cancel).ConfigureAwait(false);
                    await output.FlushAsync(cancel).ConfigureAwait(false);
                    continue;
                }
                // The peer's window may begin after the range (then nothing is sent: first is to + 1, count 0).
                var first = Math.Min(Math.Max(from, stream!.First), to + 1);
                var head = new byte[17];
                head[0] = Answer;
                BinaryPrimitives.WriteInt64LittleEndian(head.AsSpan(1), first);
                BinaryPrimitives.WriteInt64LittleEndian(head.AsSpan(9), to - first + 1);
                await output.WriteAsync(head, cancel).ConfigureAwait(false);
                var copy = new byte[MessageLog.HeaderLength + MessageLog.MaxMessageLength];
                for (var m = first; m <= to; m++)
                {
                    var length = CopyRecord(stream, m, copy);
                    // Fell out of the window while being copied (the array may be reused): the answer cannot be
                    // completed; the connection ends and the fetcher asks again.
                    if (!stream.IsRetained(m)) return;
                    await output.WriteAsync(copy.AsMemory(0, length), cancel).ConfigureAwait(false);
                }
                await output.FlushAsync(cancel).ConfigureAwait(false);
                log.LogInformation("Served messages {First} to {To} of stream {Name} to a peer", first, to, name);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static int CopyRecord(MessageLog stream, long sequence, byte[] copy)
    {
        var record = stream.GetRecord(sequence);
        record.CopyTo(copy);
        return record.Length;
    }

    private static async Task<string> ReadStringAsync(Stream input, byte[] buffer, CancellationToken cancel)
    {
        await input.ReadExactlyAsync(buffer.AsMemory(0, 2), cancel).ConfigureAwait(false);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(buffer);
        if (length > buffer.Length) throw new IOException("a name longer than any stream's");
        await input.ReadExactlyAsync(buffer.AsMemory(0, length), cancel).ConfigureAwait(false);
        return Encoding.ASCII.GetString(buffer, 0, length);
    }
}
