using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Exchange.LoadTest;

/// <summary>
/// Raw SoupBinTCP 3.00 framing for the tcp mode (docs/protocol.md sections 1-4): the inbound messages it sends are
/// encoded into caller-supplied buffers, so a step's traffic is pre-encoded before the clock starts and the send path
/// allocates nothing.
/// </summary>
internal static class SoupWire
{
    public const int EnterOrderFrame = 2 + 1 + 34;
    public const int ReplaceFrame = 2 + 1 + 37;
    public const int CancelFrame = 2 + 1 + 21;

    /// <summary>An Enter Order (limit) in a <c>U</c> packet at <paramref name="at"/>; returns the bytes written.</summary>
    public static int EnterOrder(byte[] b, int at, uint token, uint account, int instrument, byte side, byte tif, long price, long qty)
    {
        var s = b.AsSpan(at, EnterOrderFrame);
        s.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(s, 1 + 34);
        s[2] = (byte)'U';
        var m = s[3..];
        m[0] = (byte)'O';
        BinaryPrimitives.WriteUInt32BigEndian(m[1..], token);
        BinaryPrimitives.WriteUInt32BigEndian(m[5..], account);
        BinaryPrimitives.WriteInt32BigEndian(m[9..], instrument);
        m[13] = side;
        m[14] = 0; // limit
        m[15] = tif;
        m[16] = 0; // flags
        m[17] = 0; // STP cancel-taker
        BinaryPrimitives.WriteInt64BigEndian(m[18..], price);
        BinaryPrimitives.WriteInt64BigEndian(m[26..], qty);
        return EnterOrderFrame;
    }

    /// <summary>A Replace Order naming the order by its order token (order id 0).</summary>
    public static int Replace(byte[] b, int at, uint token, uint account, uint orderToken, long price, long qty)
    {
        var s = b.AsSpan(at, ReplaceFrame);
        BinaryPrimitives.WriteUInt16BigEndian(s, 1 + 37);
        s[2] = (byte)'U';
        var m = s[3..];
        m[0] = (byte)'U';
        BinaryPrimitives.WriteUInt32BigEndian(m[1..], token);
        BinaryPrimitives.WriteUInt32BigEndian(m[5..], account);
        BinaryPrimitives.WriteInt64BigEndian(m[9..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(m[17..], orderToken);
        BinaryPrimitives.WriteInt64BigEndian(m[21..], price);
        BinaryPrimitives.WriteInt64BigEndian(m[29..], qty);
        return ReplaceFrame;
    }

    /// <summary>A Cancel Order naming the order by its order token.</summary>
    public static int Cancel(byte[] b, int at, uint token, uint account, uint orderToken)
    {
        var s = b.AsSpan(at, CancelFrame);
        BinaryPrimitives.WriteUInt16BigEndian(s, 1 + 21);
        s[2] = (byte)'U';
        var m = s[3..];
        m[0] = (byte)'X';
        BinaryPrimitives.WriteUInt32BigEndian(m[1..], token);
        BinaryPrimitives.WriteUInt32BigEndian(m[5..], account);
        BinaryPrimitives.WriteInt64BigEndian(m[9..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(m[17..], orderToken);
        return CancelFrame;
    }

    /// <summary>A 17-byte admin/feed message (<c>D</c> deposit: account + amount; <c>P</c> mark: instrument + price) in a <c>U</c> packet.</summary>
    public static byte[] Message17(char type, uint token, uint accountOrInstrument, long value)
    {
        var b = new byte[3 + 17];
        BinaryPrimitives.WriteUInt16BigEndian(b, 1 + 17);
        b[2] = (byte)'U';
        b[3] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), token);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), accountOrInstrument);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(12), value);
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
        var b = new byte[3 + 46];
        BinaryPrimitives.WriteUInt16BigEndian(b, 47);
        b[2] = (byte)'L';
        Encoding.ASCII.GetBytes(user.PadRight(6)).CopyTo(b, 3);
        Encoding.ASCII.GetBytes(password.PadRight(10)).CopyTo(b, 9);
        Encoding.ASCII.GetBytes(new string(' ', 10)).CopyTo(b, 19);
        Encoding.ASCII.GetBytes("0".PadLeft(20)).CopyTo(b, 29);
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
