using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net;
using System.Text;
using Exchange.Client.Protocol;
using Exchange.Gateway.Protocol;

namespace Exchange.LoadTest;

/// <summary>
/// SoupBinTCP 3.00 framing for the tcp mode: the gateway's own codecs (<see cref="Inbound"/>, <see cref="LoginCodec"/>)
/// write the messages into caller-supplied buffers, so a step's traffic is pre-encoded before the clock starts and the
/// send path allocates nothing.
/// </summary>
internal static class SoupWire
{
    public const int EnterOrderFrame = 3 + Inbound.EnterOrderLength;
    public const int ReplaceFrame = 3 + Inbound.ReplaceOrderLength;
    public const int CancelFrame = 3 + Inbound.CancelOrderLength;

    /// <summary>An Enter Order (limit, no flags, cancel-taker) in a <c>U</c> packet at <paramref name="at"/>; returns the bytes written.</summary>
    public static int EnterOrder(byte[] b, int at, uint token, uint account, int instrument, byte side, byte tif, long price, long qty)
    {
        var s = b.AsSpan(at, EnterOrderFrame);
        var h = Inbound.WritePacketHeader(s, Inbound.EnterOrderLength);
        return h + Inbound.WriteNewOrder(s[h..], token, account, instrument, side, 0, tif, 0, 0, price, qty);
    }

    /// <summary>A Replace Order naming the order by its order token (order id 0).</summary>
    public static int Replace(byte[] b, int at, uint token, uint account, uint orderToken, long price, long qty)
    {
        var s = b.AsSpan(at, ReplaceFrame);
        var h = Inbound.WritePacketHeader(s, Inbound.ReplaceOrderLength);
        return h + Inbound.WriteReplace(s[h..], token, account, 0, orderToken, price, qty);
    }

    /// <summary>A Cancel Order naming the order by its order token.</summary>
    public static int Cancel(byte[] b, int at, uint token, uint account, uint orderToken)
    {
        var s = b.AsSpan(at, CancelFrame);
        var h = Inbound.WritePacketHeader(s, Inbound.CancelOrderLength);
        return h + Inbound.WriteCancel(s[h..], token, account, 0, orderToken);
    }

    /// <summary>A setup message (built by <see cref="Inbound"/>) in a <c>U</c> packet.</summary>
    public static byte[] Packet(byte[] message)
    {
        var b = new byte[3 + message.Length];
        var h = Inbound.WritePacketHeader(b, message.Length);
        message.CopyTo(b, h);
        return b;
    }

    /// <summary>Connects with TCP_NODELAY.</summary>
    public static Socket Connect(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    /// <summary>Logs in (current session, sequence 0 = no replay) and waits for <c>A</c>; throws on anything else.</summary>
    public static void Login(Socket socket, string user, string password)
    {
        var payload = LoginCodec.Request(user, password, "", 0);
        var b = new byte[3 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)(1 + payload.Length));
        b[2] = PacketType.LoginRequest;
        payload.CopyTo(b, 3);
        socket.Send(b);
        var reply = ReadFrame(socket);
        if (reply.Length == 0 || reply[0] != (byte)'A')
            throw new InvalidOperationException($"login of {user} refused: {(reply.Length == 0 ? "closed" : (char)reply[0] + " " + Encoding.ASCII.GetString(reply, 1, reply.Length - 1))}");
    }

    /// <summary>Sends a packet and waits for the sequenced message carrying <paramref name="token"/> (setup only: allocates).</summary>
    public static byte[] Call(Socket socket, byte[] packet, uint token)
    {
        socket.Send(packet);
        while (true)
        {
            var f = ReadFrame(socket);
            if (f.Length == 0) throw new InvalidOperationException("the server closed the connection");
            if (f[0] == (byte)'S' && f.Length >= 14 && BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(10)) == token) return f[1..];
        }
    }

    /// <summary>One packet (type byte + payload), or an empty array when the connection closed.</summary>
    private static byte[] ReadFrame(Socket socket)
    {
        var header = new byte[2];
        if (!ReadExactly(socket, header)) return [];
        var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(header)];
        return ReadExactly(socket, body) ? body : [];
    }

    private static bool ReadExactly(Socket socket, byte[] buffer)
    {
        var got = 0;
        while (got < buffer.Length)
        {
            var n = socket.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            if (n == 0) return false;
            got += n;
        }
        return true;
    }
}
