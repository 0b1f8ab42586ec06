using Exchange.Core.Commands;
using Exchange.Core.Dedup;
using Exchange.Core.Events;
using Exchange.Core.Journal;
using Exchange.Core.Tests.Support;
using Exchange.Testing;
using FsCheck;
using FsCheck.Fluent;

namespace Exchange.Core.Tests.Dedup;

/// <summary>
/// Properties of the core's token rules over generated traffic from five token spaces (three traders, an admin, a
/// feed): any interleaving of resends and skipped tokens executes each token at most once (the state equals a
/// reference exchange that ran only the new commands, without tokens); tokens that wrap past 4294967295 keep working;
/// and a snapshot taken anywhere plus the replay of the rest equals the live exchange, token state included.
/// </summary>
public sealed class DeduplicationProperties
{
    private const uint Admin = 0x8000_0001;
    private const uint Feed = 0x8000_0002;
    private static readonly uint[] Origins = [1, 2, 3, Admin, Feed];

    private sealed record Case(int Seed, uint Start, int Window, int Steps);

    private static readonly Arbitrary<Case> Cases = Arb.From(
        from seed in Gen.Choose(0, int.MaxValue)
        from start in Gen.Elements(1u, uint.MaxValue - 6, (1u << 31) - 20, 4_000_000_000u)
        from window in Gen.Elements(2, 5, 64)
        from steps in Gen.Choose(60, 220)
        select new Case(seed, start, window, steps));

    [Fact]
    public void AnyInterleavingOfResends_ExecutesEachTokenAtMostOnce_AndSnapshotPlusReplayEqualsLive()
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(60).WithQuietOnSuccess(true);
        var seen = new Dictionary<string, int>();
        Prop.ForAll(Cases, k => Run(k, seen)).Check(config);
        // Not vacuous: every answer to a resend, and the wrap past 4294967295, happened.
        foreach (var kind in new[] { "duplicate", "skipped", "stale", "wrapped" })
            Assert.True(seen.GetValueOrDefault(kind) > 0, $"no {kind} in the generated cases: {string.Join(", ", seen)}");
    }

    /// <summary>Cases the property found: a cancel-all of no orders (no events) once recorded the previous command's
    /// reject as its outcome.</summary>
    [Theory]
    [InlineData(420032070, 1u, 5, 127)]
    [InlineData(1161715942, 4294967255u, 2, 79)]
    public void FoundCases_StillHold(int seed, uint start, int window, int steps) => Run(new Case(seed, start, window, steps), []);

    private static void Run(Case k, Dictionary<string, int> seen)
    {
        var random = new Random(k.Seed);
        var options = new ExchangeOptions { TokenWindow = k.Window };
        var live = new Market(options: options);
        var reference = new Market(options: options);
        var next = Origins.ToDictionary(o => o, _ => k.Start);
        var sent = Origins.ToDictionary(o => o, _ => new List<Command>());
        var skipped = Origins.ToDictionary(o => o, _ => new List<uint>());
        var lastNew = Origins.ToDictionary(o => o, _ => 0u);
        var gap = Origins.ToDictionary(o => o, _ => new List<uint>());
        var journal = new List<Command>();
        long mark = 120_000;
        var cut = random.Next(k.Steps);
        byte[]? snapshot = null;
        long snapshotSequence = 0;

        void Send(Command c, bool isNew)
        {
            var events = live.Do(c);
            c.Sequence = live.X.LastSequence;
            journal.Add(c);
            if (isNew)
            {
                var plain = c;
                (plain.Origin, plain.Token) = (0, 0);
                reference.Do(plain);
                Assert.DoesNotContain(events, e => e.Type == EventType.Duplicate);
                return;
            }
            // Not new: one Duplicate, or a reject that executes nothing.
            var e = Assert.Single(events);
            var kind = e.Type == EventType.Duplicate ? "duplicate" : e.Reason == RejectCode.StaleToken ? "stale" : "skipped";
            seen[kind] = seen.GetValueOrDefault(kind) + 1;
            Assert.True(e.Type == EventType.Duplicate || e.Type == EventType.Rejected && e.Reason is RejectCode.DuplicateClientOrderId or RejectCode.StaleToken,
                $"a resend of token {c.Token} of {c.Origin:x} gave {e}");
        }

        void New(uint origin, Command body)
        {
            var token = next[origin];
            body.Origin = origin;
            body.Token = token;
            sent[origin].Add(body);
            if (lastNew[origin] != 0 && token < lastNew[origin]) seen["wrapped"] = seen.GetValueOrDefault("wrapped") + 1;
            lastNew[origin] = token;
            // The gap left before this token is skipped once this token is applied.
            skipped[origin].AddRange(gap[origin]);
            gap[origin].Clear();
            // Leave a gap now and then.
            var width = random.Next(4) == 0 ? random.Next(1, 4) : 0;
            next[origin] = SerialNumber.Next(token);
            for (var g = 0; g < width; g++)
            {
                gap[origin].Add(next[origin]);
                next[origin] = SerialNumber.Next(next[origin]);
            }
            Send(body, isNew: true);
        }

        New(Feed, Command.Mark(live.Btc, mark));
        for (var a = 1; a <= 3; a++) New(Admin, Command.DepositTo(a, 100_000 * Market.Usd));

        for (var step = 0; step < k.Steps; step++)
        {
            if (step == cut)
            {
                snapshot = SnapshotCodec.Write(live.X);
                snapshotSequence = live.X.LastSequence;
            }
            var origin = Origins[random.Next(Origins.Length)];
            var roll = random.Next(100);
            if (roll < 35 && sent[origin].Count > 0)
            {
                Send(sent[origin][random.Next(sent[origin].Count)], isNew: false); // a resend, same token and body
                continue;
            }
            var body = Body(origin, random, live.Btc, ref mark);
            if (roll < 45 && skipped[origin].Count > 0)
            {
                body.Origin = origin;
                body.Token = skipped[origin][random.Next(skipped[origin].Count)];
                Send(body, isNew: false); // a skipped token, new body: never executed
                continue;
            }
            New(origin, body);
        }

        StateComparer.CompareState(ExchangeSnapshot.Of(live.X), ExchangeSnapshot.Of(reference.X));
        InvariantChecker.AssertHolds(live.X);
        foreach (var o in Origins) Assert.Equal(SerialNumber.Next(lastNew[o]), live.X.NextToken(o));

        // Replay from the start, and from the snapshot, give the live state and events.
        var replayed = Fresh(options);
        foreach (var c in journal) replayed.Apply(in c);
        Assert.Equal(live.X.StateHash(), replayed.StateHash());
        var restored = Fresh(options);
        SnapshotCodec.Read(snapshot!, restored);
        var tail = live.Log.Where(e => e.Sequence > snapshotSequence).ToList();
        var events = new List<Event>();
        foreach (var c in journal.Where(c => c.Sequence > snapshotSequence)) events.AddRange(restored.Apply(in c).ToArray());
        Assert.Equal(tail, events);
        Assert.Equal(SnapshotCodec.Write(live.X), SnapshotCodec.Write(restored));
        Assert.Equal(live.X.StateHash(), restored.StateHash());
    }

    private static Exchange Fresh(ExchangeOptions options)
    {
        var x = new Exchange(options);
        x.AddInstrument(Market.Spec());
        return x;
    }

    private static Command Body(uint origin, Random random, int btc, ref long mark)
    {
        if (origin == Admin)
        {
            var account = random.Next(1, 4);
            return random.Next(3) == 0
                ? Command.WithdrawFrom(account, random.Next(1, 2_000) * Market.Usd)
                : Command.DepositTo(account, random.Next(1, 5_000) * Market.Usd);
        }
        if (origin == Feed)
        {
            if (random.Next(4) == 0) return Command.FundingAt(btc, random.Next(-500, 501));
            mark = Math.Clamp(mark + random.Next(-1_500, 1_501), 110_000, 130_000);
            return Command.Mark(btc, mark);
        }
        var acct = (int)origin;
        return random.Next(10) switch
        {
            0 => Command.CancelAllOrders(acct),
            1 => Command.Market(acct, btc, random.Next(2) == 0 ? Side.Buy : Side.Sell, random.Next(1, 10)),
            _ => Command.Limit(acct, btc, random.Next(2) == 0 ? Side.Buy : Side.Sell, mark + random.Next(-3_000, 3_001),
                random.Next(1, 30), random.Next(4) == 0 ? TimeInForce.Ioc : TimeInForce.Gtc),
        };
    }
}
