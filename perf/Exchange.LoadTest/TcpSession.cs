using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using HdrHistogram;

namespace Exchange.LoadTest;

/// <summary>What one connection measures during one step (read by the step's thread after the step).</summary>
internal sealed class SessionStep(int connection, int connections, uint firstToken, int count, long start, long rate)
{
    public readonly LongHistogram Histogram = HistogramFiles.NewNanoseconds();
    public readonly bool[] Seen = new bool[count];
    public readonly int Connection = connection;
    public readonly int Connections = connections;
    public readonly uint FirstToken = firstToken;
    public readonly int Count = count;
    public readonly long Start = start;
    public readonly long Rate = rate;
    public int Received;
    public long LastResponse;
    public long Rejected;
    public long RateLimited;
    public readonly long[] RejectCodes = new long[256];
}

/// <summary>
/// One measured TCP connection (to the gateway or the echo server): a thread blocked in <c>Receive</c> on a
/// preallocated buffer splits the SoupBinTCP packets and, for each sequenced message whose token is one of the
/// step's, records on the first one only (the command's outcome: accepted / rejected / replaced / canceled) the time
/// from the command's planned send time to the return of the <c>Receive</c> that brought it. Allocation-free.
/// </summary>
internal sealed class TcpSession : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly byte[] _buffer = new byte[1 << 20];
    private SessionStep? _step;

    public TcpSession(Socket socket, string name)
    {
        _socket = socket;
        _thread = new Thread(Receive) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public Socket Socket => _socket;

    public SessionStep? Step
    {
        get => Volatile.Read(ref _step);
        set => Volatile.Write(ref _step, value);
    }

    public bool Closed { get; private set; }

    /// <summary>The text of the last Debug packet the server sent (a gateway's close reason, sent before it closes);
    /// null when none came.</summary>
    public string? ServerSaid => Volatile.Read(ref _serverSaid);

    private string? _serverSaid;

    public void Dispose()
    {
        try { _socket.Shutdown(SocketShutdown.Both); }
        catch (SocketException) { }
        _socket.Dispose();
        _thread.Join(2_000);
    }

    private void Receive()
    {
        var buffer = _buffer;
        var filled = 0;
        try
        {
            while (true)
            {
                var n = _socket.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
                if (n == 0) break;
                var now = Stopwatch.GetTimestamp();
                filled += n;
                var step = Step;
                var at = 0;
                while (filled - at >= 2)
                {
                    var length = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(at));
                    if (filled - at < 2 + length) break;
                    if (length >= 14 && buffer[at + 2] == (byte)'S' && step is not null)
                        Record(step, buffer.AsSpan(at + 3, length - 1), now);
                    else if (length >= 1 && buffer[at + 2] == (byte)'+')
                        Volatile.Write(ref _serverSaid, System.Text.Encoding.ASCII.GetString(buffer, at + 3, length - 1));
                    at += 2 + length;
                }
                if (at > 0)
                {
                    Buffer.BlockCopy(buffer, at, buffer, 0, filled - at);
                    filled -= at;
                }
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        Closed = true;
    }

    private static void Record(SessionStep step, ReadOnlySpan<byte> message, long now)
    {
        var token = BinaryPrimitives.ReadUInt32BigEndian(message[9..]);
        var k = (long)token - step.FirstToken;
        if ((ulong)k >= (ulong)step.Count || step.Seen[k]) return;
        step.Seen[k] = true;
        var i = k * step.Connections + step.Connection;
        var planned = step.Start + i * Stopwatch.Frequency / step.Rate;
        step.Histogram.RecordValue(Math.Clamp(Units.Nanoseconds(now - planned), 0, step.Histogram.HighestTrackableValue));
        if (message[0] == (byte)'J')
        {
            step.Rejected++;
            if (message.Length > 14)
            {
                step.RejectCodes[message[14]]++;
                if (message[14] == 19) step.RateLimited++;
            }
        }
        step.LastResponse = now;
        Volatile.Write(ref step.Received, step.Received + 1);
    }
}

/// <summary>
/// The bare-loopback baseline: a TCP server in this process that answers every inbound <c>U</c> packet with one
/// sequenced packet of the size of the gateway's outcome (50-byte Accepted for an order, 51-byte Replaced / Canceled
/// for a replace / cancel) carrying the token at the same offset; one blocking thread per connection, preallocated
/// buffers, one send per receive.
/// </summary>
internal sealed class EchoServer : IDisposable
{
    private readonly TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];

    public EchoServer()
    {
        _listener.Start();
        new Thread(Accept) { IsBackground = true, Name = "echo accept" }.Start();
    }

    public int Port => ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _listener.Stop();
        lock (_accepted) foreach (var s in _accepted) s.Dispose();
    }

    private void Accept()
    {
        try
        {
            while (true)
            {
                var s = _listener.AcceptSocket();
                s.NoDelay = true;
                lock (_accepted) _accepted.Add(s);
                new Thread(() => Serve(s)) { IsBackground = true, Name = "echo" }.Start();
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    private static void Serve(Socket s)
    {
        var input = new byte[1 << 20];
        var output = new byte[1 << 22];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = s.Receive(input, filled, input.Length - filled, SocketFlags.None);
                if (n == 0) return;
                filled += n;
                var at = 0;
                var written = 0;
                while (filled - at >= 2)
                {
                    var length = BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(at));
                    if (filled - at < 2 + length) break;
                    if (length >= 6 && input[at + 2] == (byte)'U')
                    {
                        var type = input[at + 3];
                        var size = type == (byte)'O' ? 50 : 51;
                        var o = output.AsSpan(written, 3 + size);
                        o.Clear();
                        BinaryPrimitives.WriteUInt16BigEndian(o, (ushort)(1 + size));
                        o[2] = (byte)'S';
                        o[3] = type == (byte)'O' ? (byte)'A' : type == (byte)'U' ? (byte)'U' : (byte)'C';
                        input.AsSpan(at + 4, 4).CopyTo(o[12..]);
                        written += 3 + size;
                    }
                    at += 2 + length;
                }
                if (written > 0) s.Send(output, 0, written, SocketFlags.None);
                if (at > 0)
                {
                    Buffer.BlockCopy(input, at, input, 0, filled - at);
                    filled -= at;
                }
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }
}
