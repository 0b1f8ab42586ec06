using System.Globalization;

namespace Exchange.LoadTest;

/// <summary>The gateway server's GC report: collections per generation and bytes allocated, since it started.</summary>
internal readonly record struct ServerGc(GcCounts Counts, long Allocated)
{
    public static ServerGc operator -(ServerGc a, ServerGc b) => new(a.Counts - b.Counts, a.Allocated - b.Allocated);

    /// <summary>Parses <c>gc-report GEN0 GEN1 GEN2 ALLOCATED</c>.</summary>
    public static bool TryParse(string line, out ServerGc gc)
    {
        gc = default;
        var parts = line.Split(' ');
        if (parts.Length != 5 || parts[0] != "gc-report") return false;
        if (!int.TryParse(parts[1], CultureInfo.InvariantCulture, out var g0) || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var g1)
            || !int.TryParse(parts[3], CultureInfo.InvariantCulture, out var g2) || !long.TryParse(parts[4], CultureInfo.InvariantCulture, out var a))
            return false;
        gc = new ServerGc(new GcCounts(g0, g1, g2), a);
        return true;
    }
}
