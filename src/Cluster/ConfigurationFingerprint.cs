using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Exchange.Cluster;

/// <summary>
/// What every node of a cluster must agree on, as 8 bytes: the journal format of the log's records
/// (<see cref="Core.Journal.CommandCodec.Format"/>: a node of another version would apply them differently), the
/// exchange's options and every instrument's full specification, in order (what the state machine's result depends
/// on), and the members (ids and Raft addresses).
/// A new leader writes its fingerprint into its barrier entry; a node that applies a barrier with another fingerprint
/// stops instead of applying commands under a different configuration (docs/cluster.md, failure cases).
/// </summary>
public static class ConfigurationFingerprint
{
    /// <summary>The fingerprint of <paramref name="fresh"/>'s configuration and <paramref name="members"/>.</summary>
    public static ulong Of(Core.Exchange fresh, IReadOnlyList<ClusterMember> members)
    {
        ArgumentNullException.ThrowIfNull(fresh);
        ArgumentNullException.ThrowIfNull(members);
        var text = new StringBuilder();
        // Records print every property; the invariant culture keeps the text the same on every machine.
        text.Append(CultureInfo.InvariantCulture, $"journal format {Core.Journal.CommandCodec.Format}\n");
        text.Append(CultureInfo.InvariantCulture, $"{fresh.Options}\n");
        for (var i = 0; i < fresh.InstrumentCount; i++)
            text.Append(CultureInfo.InvariantCulture, $"{fresh.Instrument(i)}\n");
        var sorted = new List<ClusterMember>(members);
        sorted.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        foreach (var member in sorted)
            text.Append(CultureInfo.InvariantCulture, $"member {member.Id} {member.RaftEndPoint}\n");
        return BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
