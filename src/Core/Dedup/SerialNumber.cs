using System.Runtime.CompilerServices;

namespace Exchange.Core.Dedup;

/// <summary>
/// RFC 1982 serial-number arithmetic on 32-bit tokens: <c>a</c> is after <c>b</c> when it is ahead by 1 to 2^31 − 1
/// (mod 2^32). A token space therefore never runs out: after 4294967295 comes 1 (0 is never a token and is skipped).
/// Two tokens exactly 2^31 apart are not ordered (RFC 1982 leaves it undefined): neither is after the other.
/// </summary>
public static class SerialNumber
{
    /// <summary>Whether <paramref name="a"/> comes after <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAfter(uint a, uint b) => (int)(a - b) > 0;

    /// <summary>The token after <paramref name="token"/>: token + 1, skipping 0 at the wrap.</summary>
    public static uint Next(uint token) => token == uint.MaxValue ? 1 : token + 1;
}
