using System.Numerics;
using System.Text;

namespace Exchange.Gateway.Scenarios;

/// <summary>
/// A decimal number exactly as written in a scenario file: <see cref="Mantissa"/> x 10^-<see cref="Scale"/>. Parsing
/// and unit conversion are exact (BigInteger), so an amount either is a whole number of units or is rejected; no
/// floating point and no silent rounding.
/// </summary>
internal readonly record struct ExactDecimal(BigInteger Mantissa, int Scale)
{
    // Longer numbers are certainly past every bound; refusing them early keeps parsing cheap on hostile input.
    private const int MaxLength = 64;

    /// <summary>Parses <c>[+|-]digits[.digits]</c>; no exponent, no thousands separators, no bare dot.</summary>
    public static bool TryParse(string text, out ExactDecimal value)
    {
        value = default;
        if (text.Length == 0 || text.Length > MaxLength) return false;
        var i = 0;
        var negative = false;
        if (text[0] is '-' or '+')
        {
            negative = text[0] == '-';
            i = 1;
        }
        var digits = new StringBuilder(text.Length);
        var scale = -1;
        var intDigits = 0;
        for (; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch == '.')
            {
                if (scale >= 0 || intDigits == 0) return false;
                scale = 0;
                continue;
            }
            if (ch is < '0' or > '9') return false;
            digits.Append(ch);
            if (scale >= 0) scale++;
            else intDigits++;
        }
        if (intDigits == 0 || scale == 0) return false;
        var mantissa = BigInteger.Parse(digits.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        value = new ExactDecimal(negative ? -mantissa : mantissa, Math.Max(scale, 0)).Normalized();
        return true;
    }

    /// <summary>10^-<paramref name="decimals"/>: the money unit.</summary>
    public static ExactDecimal PowerOfTen(int decimals) => new(BigInteger.One, decimals);

    public int Sign => Mantissa.Sign;

    /// <summary>The same number with trailing fractional zeros removed (0.50 becomes 0.5).</summary>
    public ExactDecimal Normalized()
    {
        var m = Mantissa;
        var s = Scale;
        while (s > 0 && !m.IsZero && m % 10 == 0)
        {
            m /= 10;
            s--;
        }
        return m.IsZero ? new ExactDecimal(BigInteger.Zero, 0) : new ExactDecimal(m, s);
    }

    /// <summary>How many whole <paramref name="unit"/>s this is; false when it is not a whole multiple.</summary>
    public bool TryCount(ExactDecimal unit, out BigInteger count)
    {
        // (m1 / 10^s1) / (m2 / 10^s2) = m1 x 10^s2 / (m2 x 10^s1)
        var numerator = Mantissa * BigInteger.Pow(10, unit.Scale);
        var denominator = unit.Mantissa * BigInteger.Pow(10, Scale);
        count = BigInteger.DivRem(numerator, denominator, out var remainder);
        return remainder.IsZero;
    }

    /// <summary>This number times 10^<paramref name="power"/> when that is an integer.</summary>
    public bool TryScaleToInteger(int power, out BigInteger value)
    {
        var shift = power - Scale;
        if (shift >= 0)
        {
            value = Mantissa * BigInteger.Pow(10, shift);
            return true;
        }
        value = BigInteger.DivRem(Mantissa, BigInteger.Pow(10, -shift), out var remainder);
        return remainder.IsZero;
    }

    /// <summary><paramref name="count"/> units of this size, written with exactly <see cref="Scale"/> decimals.</summary>
    public string Format(BigInteger count) => Write(count * Mantissa, Scale);

    /// <summary>The number itself in its shortest exact form.</summary>
    public override string ToString()
    {
        var n = Normalized();
        return Write(n.Mantissa, n.Scale);
    }

    /// <summary>Writes mantissa x 10^-scale with exactly <paramref name="scale"/> decimals.</summary>
    public static string Write(BigInteger mantissa, int scale)
    {
        var digits = BigInteger.Abs(mantissa).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (scale > 0)
        {
            if (digits.Length <= scale) digits = new string('0', scale - digits.Length + 1) + digits;
            digits = digits[..^scale] + "." + digits[^scale..];
        }
        return mantissa.Sign < 0 ? "-" + digits : digits;
    }
}
