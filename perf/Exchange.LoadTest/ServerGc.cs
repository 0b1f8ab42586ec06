using System.Globalization;

namespace Exchange.LoadTest;

/// <summary>
/// The gateway server's GC report: collections per generation and bytes allocated, since it started, and the managed
/// heap's size at the report (<see cref="GC.GetTotalMemory(bool)"/>: live objects and garbage not yet collected).
/// </summary>
internal readonly record struct ServerGc(GcCounts Counts, long Allocated, long Heap = 0)
{
    public static ServerGc operator -(ServerGc a, ServerGc b) => new(a.Counts - b.Counts, a.Allocated - b.Allocated, a.Heap - b.Heap);

    /// <summary>Parses <c>gc-report GEN0 GEN1 GEN2 ALLOCATED [HEAP]</c>.</summary>
    public static bool TryParse(string line, out ServerGc gc)
    {
        gc = default;
        var parts = line.Split(' ');
        if (parts.Length is not (5 or 6) || parts[0] != "gc-report") return false;
        long heap = 0;
        if (parts.Length == 6 && !long.TryParse(parts[5], CultureInfo.InvariantCulture, out heap)) return false;
        if (!int.TryParse(parts[1], CultureInfo.InvariantCulture, out var g0) || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var g1)
            || !int.TryParse(parts[3], CultureInfo.InvariantCulture, out var g2) || !long.TryParse(parts[4], CultureInfo.InvariantCulture, out var a))
            return false;
        gc = new ServerGc(new GcCounts(g0, g1, g2), a, heap);
        return true;
    }
}
