using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Exchange.Core.Commands;

namespace Exchange.Core.Journal;

/// <summary>
/// The canonical binary form of an exchange's whole state, for snapshots and the state hash. Version 4 layout, all
/// little-endian: magic "EXSNAP03"; last sequence; policy; instruments (name, tick value, mark, then the circuit
/// breaker: halted, calm marks, reference, window count and its marks oldest first); last order and trade ids; ledgers
/// (insurance, fees, exchange as 8 bytes; lifetime deposits and withdrawals as 16 bytes, low half first). Older
/// versions are still read: version 3 ("EXSNAP03") has no token spaces (deduplication starts empty), version 2 ("EXSNAP02") has no breaker state (every breaker starts calm and empty),
/// version 1 ("EXSNAP01") neither, and wrote the deposit totals as 8 bytes; per account id 1..max: exists, balance, held
/// positions (instrument, qty, cost) ending with -1;
/// open orders in each account's list order with their rank in their book side's priority order; the token spaces in
/// first-seen order (origin, highest token, newest token the window let go, then its outcomes oldest first: token,
/// sequence, order id, code); CRC32C of
/// everything before it. Derived structures (the liquidation index, holder lists, order-lot totals) are not stored:
/// restoring rebuilds them. Not on the hot path: it allocates.
/// </summary>
public static class SnapshotCodec
{
    private static ReadOnlySpan<byte> Magic => "EXSNAP04"u8;
    private static ReadOnlySpan<byte> MagicV3 => "EXSNAP03"u8;
    private static ReadOnlySpan<byte> MagicV2 => "EXSNAP02"u8;
    private static ReadOnlySpan<byte> MagicV1 => "EXSNAP01"u8;

    /// <summary>Serializes the state of <paramref name="x"/>.</summary>
    public static byte[] Write(Exchange x)
    {
        var buffer = new SnapshotBuffer();
        Write(x, buffer);
        return buffer.Written.ToArray();
    }

    /// <summary>
    /// Serializes the state of <paramref name="x"/> into <paramref name="buffer"/> (replacing what it held), reusing its
    /// room: see <see cref="SnapshotBuffer"/>. The same two steps as a pipeline's snapshot: capture the raw state
    /// (<see cref="SnapshotImage.Capture"/>), then serialize the copy.
    /// </summary>
    public static void Write(Exchange x, SnapshotBuffer buffer)
    {
        buffer.Image.Capture(x);
        Write(buffer.Image, buffer);
    }

    /// <summary>
    /// The first of <see cref="Write(Exchange, SnapshotBuffer)"/>'s two steps, for an owner that serializes elsewhere:
    /// copies the raw state of <paramref name="x"/> (between two commands) into <paramref name="buffer"/>'s image, a
    /// memory copy. <see cref="WriteCaptured"/> then serializes it on any thread while the exchange goes on; the buffer
    /// must not be captured into again before that is done.
    /// </summary>
    public static void Capture(Exchange x, SnapshotBuffer buffer) => buffer.Image.Capture(x);

    /// <summary>
    /// The second step: serializes the state <see cref="Capture"/> copied into <paramref name="buffer"/> (replacing the
    /// bytes it held), the same bytes <see cref="Write(Exchange)"/> gives for that state.
    /// </summary>
    public static void WriteCaptured(SnapshotBuffer buffer) => Write(buffer.Image, buffer);

    /// <summary>
    /// Serializes a captured state into <paramref name="buffer"/> (replacing what it held): reads only the image, so it
    /// may run on another thread while the exchange goes on.
    /// </summary>
    internal static void Write(SnapshotImage x, SnapshotBuffer buffer)
    {
        var ms = buffer.Stream;
        ms.SetLength(0);
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(x.LastSequence);
            w.Write((byte)x.Policy);
            w.Write(x.InstrumentCount);
            for (var i = 0; i < x.InstrumentCount; i++)
            {
                w.Write(x.Names[i]);
                w.Write(x.TickValues[i]);
                w.Write(x.Marks[i]);
                w.Write(x.Halted[i]);
                w.Write(x.Calm[i]);
                w.Write(x.References[i]);
                w.Write(x.WindowCounts[i]);
                for (var k = 0; k < x.WindowCounts[i]; k++) w.Write(x.Windows[i][k]);
            }
            w.Write(x.LastOrderId);
            w.Write(x.LastTradeId);
            w.Write(x.Insurance); w.Write(x.Fees); w.Write(x.ExchangeLoss);
            Write(w, x.Deposits); Write(w, x.Withdrawals);
            WriteAccounts(x, w);
            WriteOrders(x, w, buffer);
            WriteTokens(x, w);
        }
        var crc = Crc32C.Compute(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);
        ms.Write(trailer);
    }

    /// <summary>
    /// Rebuilds a snapshot's state into <paramref name="fresh"/>: an exchange with the same options and instruments
    /// added in the same order, to which no command has been applied.
    /// </summary>
    /// <exception cref="InvalidDataException">The snapshot is damaged or does not fit the configuration.</exception>
    public static void Read(ReadOnlySpan<byte> snapshot, Exchange fresh)
    {
        if (snapshot.Length < Magic.Length + 4) throw new InvalidDataException("snapshot too short");
        var body = snapshot[..^4];
        if (Crc32C.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(snapshot[^4..]))
            throw new InvalidDataException("snapshot checksum mismatch");
        if (fresh.LastSequence != 0 || fresh.AccountStore.MaxId != 0) throw new InvalidOperationException("restore into a fresh exchange");
        using var r = new BinaryReader(new MemoryStream(body.ToArray()), Encoding.UTF8);
        var magic = r.ReadBytes(Magic.Length).AsSpan();
        var version = magic.SequenceEqual(Magic) ? 4 : magic.SequenceEqual(MagicV3) ? 3 : magic.SequenceEqual(MagicV2) ? 2 : magic.SequenceEqual(MagicV1) ? 1 : 0;
        if (version == 0) throw new InvalidDataException("not a snapshot (magic)");
        fresh.LastSequence = r.ReadInt64();
        if ((LossPolicy)r.ReadByte() != fresh.Options.Policy) throw new InvalidDataException("snapshot policy differs from the configuration");
        var instruments = fresh.InstrumentTable;
        if (r.ReadInt32() != instruments.Count) throw new InvalidDataException("snapshot instrument count differs");
        for (var i = 0; i < instruments.Count; i++)
        {
            if (r.ReadString() != instruments[i].Spec.Name || r.ReadInt64() != instruments[i].TickValue)
                throw new InvalidDataException($"snapshot instrument {i} differs from the configuration");
            instruments[i].Mark = r.ReadInt64();
            if (version >= 3) ReadBreaker(r, instruments[i]);
        }
        fresh.OrderEntry.LastOrderId = r.ReadInt64();
        fresh.Matcher.LastTradeId = r.ReadInt64();
        var l = fresh.Ledgers;
        l.Insurance = r.ReadInt64(); l.Fees = r.ReadInt64(); l.Exchange = r.ReadInt64();
        l.Deposits = version == 1 ? r.ReadInt64() : ReadInt128(r);
        l.Withdrawals = version == 1 ? r.ReadInt64() : ReadInt128(r);
        ReadAccounts(fresh, r);
        ReadOrders(fresh, r);
        if (version >= 4) ReadTokens(fresh.Tokens, r);
        if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException("trailing bytes in snapshot");
        // Every account is re-evaluated so the liquidation index is rebuilt; a snapshot is taken between commands,
        // so nobody is liquidatable and this emits nothing.
        for (var a = 1; a <= fresh.AccountStore.MaxId; a++)
            if (fresh.AccountStore.Exists(a)) fresh.Index.MarkDirty(a);
        fresh.Index.Refresh();
    }

    private static void ReadBreaker(BinaryReader r, Instruments.Instrument instrument)
    {
        var halted = r.ReadBoolean();
        var calm = r.ReadInt32();
        var reference = r.ReadInt64();
        var count = r.ReadInt32();
        if (count < 0 || count > Instruments.InstrumentSpec.MaxBreakerWindow)
            throw new InvalidDataException($"snapshot breaker window of {count} marks");
        var window = new long[count];
        for (var k = 0; k < count; k++) window[k] = r.ReadInt64();
        instrument.Breaker.Restore(halted, calm, reference, window);
    }

    private static void Write(BinaryWriter w, Int128 value)
    {
        w.Write((ulong)value);
        w.Write((long)(value >> 64));
    }

    private static Int128 ReadInt128(BinaryReader r)
    {
        var low = r.ReadUInt64();
        return ((Int128)r.ReadInt64() << 64) | low;
    }

    /// <summary>FNV-1a 64 over the canonical form.</summary>
    public static ulong Hash(Exchange x)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Write(x)) hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }

    private static void WriteAccounts(SnapshotImage x, BinaryWriter w)
    {
        w.Write(x.MaxId);
        // Held positions were copied account by account from id 0, in instrument order: read them in the same order.
        var at = 0;
        for (var a = 0; a <= x.MaxId; a++)
        {
            var exists = x.Exists[a];
            if (a > 0) w.Write(exists);
            if (!exists || a == 0)
            {
                at += BitOperations.PopCount(x.Held[a]);
                continue;
            }
            w.Write(x.Balances[a]);
            for (var mask = x.Held[a]; mask != 0; mask &= mask - 1)
            {
                w.Write(BitOperations.TrailingZeroCount(mask));
                w.Write(x.Qty[at]);
                w.Write(x.Cost[at++]);
            }
            w.Write(-1);
        }
    }

    private static void ReadAccounts(Exchange x, BinaryReader r)
    {
        var accounts = x.AccountStore;
        var max = r.ReadInt32();
        for (var a = 1; a <= max; a++)
        {
            if (!r.ReadBoolean()) continue;
            accounts.Create(a);
            accounts.Balance(a) = r.ReadInt64();
            for (var i = r.ReadInt32(); i >= 0; i = r.ReadInt32())
            {
                if (i >= x.InstrumentTable.Count) throw new InvalidDataException("snapshot position in an unknown instrument");
                ref var p = ref accounts.Position(a, i);
                p.Qty = r.ReadInt64();
                p.Cost = r.ReadInt64();
                accounts.Touch(a, i);
            }
        }
    }

    private static void WriteTokens(SnapshotImage x, BinaryWriter w)
    {
        w.Write(x.TokenSpaces);
        var at = 0;
        for (var s = 0; s < x.TokenSpaces; s++)
        {
            w.Write(x.Origins[s]);
            w.Write(x.Highest[s]);
            w.Write(x.Evicted[s]);
            w.Write(x.Filled[s]);
            for (var k = 0; k < x.Filled[s]; k++)
            {
                ref readonly var o = ref x.Outcomes[at++];
                w.Write(o.Token); w.Write(o.Sequence); w.Write(o.OrderId); w.Write((byte)o.Code);
            }
        }
    }

    /// <summary>Token spaces into a fresh table; a configured window smaller than the snapshot's keeps the newest
    /// outcomes (the rest count as let go).</summary>
    private static void ReadTokens(Dedup.TokenTable tokens, BinaryReader r)
    {
        var count = r.ReadInt32();
        if (count < 0 || count > tokens.MaxSpaces)
            throw new InvalidDataException($"snapshot has {count} token spaces, more than maxTokenSpaces ({tokens.MaxSpaces})");
        for (var n = 0; n < count; n++)
        {
            var origin = r.ReadUInt32();
            var highest = r.ReadUInt32();
            var evicted = r.ReadUInt32();
            var filled = r.ReadInt32();
            var s = tokens.Find(origin) < 0 ? tokens.FindOrAdd(origin) : -1;
            if (origin == 0 || s != n || filled < 0 || filled > ExchangeOptions.MaxTokenWindow)
                throw new InvalidDataException("snapshot token space is inconsistent");
            for (var k = 0; k < filled; k++)
            {
                var token = r.ReadUInt32();
                var sequence = r.ReadInt64();
                var orderId = r.ReadInt64();
                tokens.Record(s, token, sequence, orderId, (Events.RejectCode)r.ReadByte());
            }
            tokens.Restore(s, highest, evicted);
        }
    }

    private static void WriteOrders(SnapshotImage x, BinaryWriter w, SnapshotBuffer buffer)
    {
        var orders = x.Orders;
        // Rank every resting order in its book side's priority order (levels best first, FIFO within a level), by
        // handle: the buffer's scratch, as long as the captured order slots, not a new table per snapshot.
        if (buffer.Ranks.Length < x.OrderSlots) buffer.Ranks = new int[x.OrderSlots];
        var rank = buffer.Ranks;
        var ranked = 0;
        for (var s = 0; s < 2 * x.InstrumentCount; s++)
            for (var level = 0; level < x.LevelCounts[s]; level++)
                for (var h = x.LevelHeads[s][level]; h >= 0; h = orders[h].Next) rank[h] = ranked++;
        w.Write(ranked);
        for (var a = 1; a <= x.MaxId; a++)
        {
            if (!x.Exists[a]) continue;
            for (var h = x.OrderHeads[a]; h >= 0; h = orders[h].AccountNext)
            {
                ref var o = ref orders[h];
                w.Write(o.Id); w.Write(o.ClientOrderId); w.Write(o.AccountId); w.Write(o.InstrumentId);
                w.Write((byte)o.Side); w.Write(o.Price); w.Write(o.Remaining); w.Write((byte)o.Stp); w.Write(o.PostOnly);
                w.Write(rank[h]);
            }
        }
    }

    private static void ReadOrders(Exchange x, BinaryReader r)
    {
        var orders = x.OrderStore;
        var count = r.ReadInt32();
        var byRank = new int[count];
        Array.Fill(byRank, -1);
        for (var n = 0; n < count; n++)
        {
            var h = orders.Allocate();
            ref var o = ref orders[h];
            o.Id = r.ReadInt64(); o.ClientOrderId = r.ReadInt64(); o.AccountId = r.ReadInt32(); o.InstrumentId = r.ReadInt32();
            o.Side = (Side)r.ReadByte(); o.Price = r.ReadInt64(); o.Remaining = r.ReadInt64();
            o.Stp = (SelfTradePrevention)r.ReadByte(); o.PostOnly = r.ReadBoolean();
            var rank = r.ReadInt32();
            if (!x.AccountStore.Exists(o.AccountId) || o.InstrumentId >= x.InstrumentTable.Count || (uint)rank >= (uint)count || byRank[rank] >= 0)
                throw new InvalidDataException("snapshot order is inconsistent");
            byRank[rank] = h;
            x.Matcher.Adopt(h);
        }
        // Adding in priority order reproduces every level's FIFO.
        foreach (var h in byRank) x.Matcher.Relink(h);
    }
}
