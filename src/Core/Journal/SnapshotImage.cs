using Exchange.Core.Accounts;
using Exchange.Core.Book;
using Exchange.Core.Commands;
using Exchange.Core.Dedup;

namespace Exchange.Core.Journal;

/// <summary>
/// A copy of the exchange's state as raw arrays, taken between two commands: what <see cref="SnapshotCodec"/>
/// serializes, without the serializing. <see cref="Capture"/> is the only part that must run on the business-logic
/// thread: one pass over the account records copying existence, balance, held mask and order list head, each held
/// position's lots and cost (now, or deferred: copied over the next commands, each before a fill writes it; see
/// <see cref="Capture"/>), a block copy of the order slots in use (streamed past the caches when large:
/// <see cref="StreamingCopy"/>), and a few hundred words (instruments, book level heads, ledgers, token windows). <see cref="SnapshotCodec.Write(SnapshotImage, SnapshotBuffer)"/> then walks the copy
/// (account order lists, book priority order) on any thread while the business-logic thread goes on: the pause is a
/// memory copy instead of a serialization (docs/benchmarks.md, "Snapshot pause"). Every array grows to the largest
/// state captured and is then reused, so periodic snapshots allocate nothing once the population stops growing. One
/// capture and one writer at a time: the owner must not capture again before the writer is done with the image.
/// </summary>
internal sealed class SnapshotImage
{
    internal long LastSequence;
    internal LossPolicy Policy;
    internal int InstrumentCount;
    internal string[] Names = [];
    internal long[] TickValues = [], Marks = [], References = [];
    internal bool[] Halted = [];
    internal int[] Calm = [];
    internal long[][] Windows = [];
    internal int[] WindowCounts = [];
    internal long LastOrderId, LastTradeId, Insurance, Fees, ExchangeLoss;
    internal Int128 Deposits, Withdrawals;

    internal int MaxId;
    internal bool[] Exists = [];
    internal long[] Balances = [];
    internal ulong[] Held = [];
    internal int[] OrderHeads = [];
    // The held positions' lots and cost, account by account in instrument order (the order they are written in):
    // account a's from PositionAt[a]. PositionsCopied marks the accounts a fill copied early during a deferred capture.
    internal int PositionCount;
    internal long[] Qty = [], Cost = [];
    internal int[] PositionAt = [];
    internal bool[] PositionsCopied = [];

    internal int OrderSlots;
    internal Order[] Orders = [];
    // Per (instrument, side): the level heads, best level first.
    internal int[][] LevelHeads = [];
    internal int[] LevelCounts = [];

    internal int TokenSpaces;
    internal uint[] Origins = [], Highest = [], Evicted = [];
    internal int[] Filled = [];
    internal TokenOutcome[] Outcomes = [];

    /// <summary>Bytes held by the copies (they grow to the largest state captured, and are reused).</summary>
    public long Capacity =>
        Exists.Length + 8L * Balances.Length + 8L * Held.Length + 4L * OrderHeads.Length
        + 8L * Qty.Length + 8L * Cost.Length + 4L * PositionAt.Length + PositionsCopied.Length
        + (long)System.Runtime.CompilerServices.Unsafe.SizeOf<Order>() * Orders.Length
        + (long)System.Runtime.CompilerServices.Unsafe.SizeOf<TokenOutcome>() * Outcomes.Length;

    /// <summary>
    /// Copies the state of <paramref name="x"/> (between two commands) into this image, replacing the last. With
    /// <paramref name="deferPositions"/> the held positions' lots and cost are not copied yet: the image is complete
    /// only once <see cref="Accounts.AccountStore.CopyDeferredPositions"/> returns true, and commands may be applied
    /// meanwhile (a fill copies its account's positions before it writes them).
    /// </summary>
    public void Capture(Exchange x, bool deferPositions = false)
    {
        LastSequence = x.LastSequence;
        Policy = x.Options.Policy;
        var instruments = x.InstrumentTable;
        var n = instruments.Count;
        InstrumentCount = n;
        if (Names.Length < n)
        {
            Array.Resize(ref Names, n);
            Array.Resize(ref TickValues, n);
            Array.Resize(ref Marks, n);
            Array.Resize(ref References, n);
            Array.Resize(ref Halted, n);
            Array.Resize(ref Calm, n);
            Array.Resize(ref Windows, n);
            Array.Resize(ref WindowCounts, n);
            Array.Resize(ref LevelHeads, 2 * n);
            Array.Resize(ref LevelCounts, 2 * n);
        }
        for (var i = 0; i < n; i++)
        {
            var ins = instruments[i];
            Names[i] = ins.Spec.Name;
            TickValues[i] = ins.TickValue;
            Marks[i] = ins.Mark;
            var b = ins.Breaker;
            Halted[i] = b.Halted;
            Calm[i] = b.Calm;
            References[i] = b.Reference;
            WindowCounts[i] = b.Count;
            if ((Windows[i]?.Length ?? -1) < b.Count) Windows[i] = new long[Math.Max(b.Count, 16)];
            for (var k = 0; k < b.Count; k++) Windows[i][k] = b.WindowMark(k);
            for (var side = Side.Buy; side <= Side.Sell; side++)
            {
                var book = ins.Book.Own(side);
                var s = 2 * i + (int)side;
                var count = book.LevelCount;
                if ((LevelHeads[s]?.Length ?? -1) < count) LevelHeads[s] = new int[Math.Max(count, 2 * (LevelHeads[s]?.Length ?? 32))];
                var level = 0;
                for (var place = book.FirstLevel(); place != -1; place = book.NextLevel(place)) LevelHeads[s][level++] = book.HeadAt(place);
                LevelCounts[s] = count;
            }
        }
        LastOrderId = x.OrderEntry.LastOrderId;
        LastTradeId = x.Matcher.LastTradeId;
        var l = x.Ledgers;
        Insurance = l.Insurance;
        Fees = l.Fees;
        ExchangeLoss = l.Exchange;
        Deposits = l.Deposits;
        Withdrawals = l.Withdrawals;

        var accounts = x.AccountStore;
        MaxId = accounts.MaxId;
        var ids = MaxId + 1;
        Fit(ref Exists, ids);
        Fit(ref Balances, ids);
        Fit(ref Held, ids);
        Fit(ref OrderHeads, ids);
        Fit(ref PositionAt, ids);
        PositionCount = accounts.CopyTo(ids, this, deferPositions);

        var orders = x.OrderStore;
        OrderSlots = orders.HighWater;
        Fit(ref Orders, OrderSlots);
        orders.CopyTo(Orders.AsSpan(0, OrderSlots));

        var tokens = x.Tokens;
        TokenSpaces = tokens.Count;
        Fit(ref Origins, TokenSpaces);
        Fit(ref Highest, TokenSpaces);
        Fit(ref Evicted, TokenSpaces);
        Fit(ref Filled, TokenSpaces);
        var outcomes = 0;
        for (var s = 0; s < TokenSpaces; s++)
        {
            Origins[s] = tokens.OriginAt(s);
            Highest[s] = tokens.Highest(s);
            Evicted[s] = tokens.Evicted(s);
            Filled[s] = tokens.Filled(s);
            outcomes += Filled[s];
        }
        Fit(ref Outcomes, outcomes);
        var at = 0;
        for (var s = 0; s < TokenSpaces; s++)
            for (var k = 0; k < Filled[s]; k++) Outcomes[at++] = tokens.OutcomeAt(s, k);
    }

    /// <summary>Grows an array to hold at least <paramref name="count"/> items (out of line; contents not kept).</summary>
    private static void Fit<T>(ref T[] array, int count)
    {
        if (array.Length < count) array = new T[Math.Max(count, array.Length + array.Length / 2)];
    }
}
