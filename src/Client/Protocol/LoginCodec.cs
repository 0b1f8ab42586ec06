using System.Text;

namespace Exchange.Client.Protocol;

/// <summary>The space-padded ASCII fields of SoupBinTCP Login Request and Login Accepted (docs/protocol.md section 1).</summary>
public static class LoginCodec
{
    /// <summary>A Login Request payload: username and password padded on the right, session and sequence on the left.</summary>
    public static byte[] Request(string username, string password, string session, long sequence)
    {
        var p = new byte[PacketType.LoginRequestPayload];
        Right(p.AsSpan(0, 6), username);
        Right(p.AsSpan(6, 10), password);
        Left(p.AsSpan(16, 10), session);
        Left(p.AsSpan(26, 20), sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return p;
    }

    /// <summary>Reads a Login Request payload; false when a field is not printable ASCII or the number is not one.</summary>
    internal static bool TryParseRequest(ReadOnlySpan<byte> p, out string username, out byte[] password, out string session,
        out long sequence)
    {
        username = session = "";
        password = [];
        sequence = 0;
        if (p.Length != PacketType.LoginRequestPayload || !Printable(p)) return false;
        username = Encoding.ASCII.GetString(p[..6].TrimEnd((byte)' '));
        password = p.Slice(6, 10).TrimEnd((byte)' ').ToArray();
        session = Encoding.ASCII.GetString(p.Slice(16, 10).Trim((byte)' '));
        return username.Length > 0 && TryNumber(p.Slice(26, 20), out sequence);
    }

    /// <summary>Writes a Login Accepted payload (30 bytes).</summary>
    internal static void Accepted(Span<byte> p, string session, long sequence)
    {
        Left(p[..10], session);
        Left(p.Slice(10, 20), sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public static bool TryParseAccepted(ReadOnlySpan<byte> p, out string session, out long sequence)
    {
        session = "";
        sequence = 0;
        if (p.Length != PacketType.LoginAcceptedPayload || !Printable(p)) return false;
        session = Encoding.ASCII.GetString(p[..10].Trim((byte)' '));
        return TryNumber(p.Slice(10, 20), out sequence);
    }

    private static bool TryNumber(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        // Padded on the left with spaces (the specification) or with zeros (what some clients and dissectors write); all
        // blanks read as 0.
        var digits = field.Trim((byte)' ').TrimStart((byte)'0');
        if (digits.Length > 18) return false;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            value = value * 10 + (b - '0');
        }
        return true;
    }

    private static bool Printable(ReadOnlySpan<byte> p)
    {
        foreach (var b in p)
            if (b is < 0x20 or > 0x7E) return false;
        return true;
    }

    private static void Right(Span<byte> field, string text)
    {
        field.Fill((byte)' ');
        Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, field.Length)), field);
    }

    private static void Left(Span<byte> field, string text)
    {
        field.Fill((byte)' ');
        var n = Math.Min(text.Length, field.Length);
        Encoding.ASCII.GetBytes(text.AsSpan(text.Length - n, n), field[(field.Length - n)..]);
    }
}
