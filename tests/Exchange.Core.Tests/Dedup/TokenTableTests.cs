using Exchange.Core.Dedup;
using Exchange.Core.Events;

namespace Exchange.Core.Tests.Dedup;

public sealed class TokenTableTests
{
    [Fact]
    public void SerialNumber_ComparesAcrossTheWrap_AndNextSkipsZero()
    {
        Assert.True(SerialNumber.IsAfter(2, 1));
        Assert.False(SerialNumber.IsAfter(1, 2));
        Assert.True(SerialNumber.IsAfter(1, uint.MaxValue));
        Assert.True(SerialNumber.IsAfter(5, uint.MaxValue - 5));
        Assert.False(SerialNumber.IsAfter(uint.MaxValue, 1));
        Assert.False(SerialNumber.IsAfter(7, 7));
        // 2^31 apart: not ordered either way (RFC 1982 leaves it undefined).
        Assert.False(SerialNumber.IsAfter(1u << 31, 0) || SerialNumber.IsAfter(0, 1u << 31));
        Assert.Equal(1u, SerialNumber.Next(uint.MaxValue));
        Assert.Equal(8u, SerialNumber.Next(7));
    }

    [Fact]
    public void Check_NewThenDuplicateThenSkipped()
    {
        var t = new TokenTable(window: 4, maxSpaces: 8);
        var s = t.FindOrAdd(9);
        Assert.Equal(TokenVerdict.New, t.Check(s, 5, out _));
        t.Record(s, 5, sequence: 100, orderId: 7, RejectCode.None);
        Assert.Equal(TokenVerdict.Duplicate, t.Check(s, 5, out var at));
        Assert.Equal((100L, 7L, RejectCode.None), (t.Outcome(at).Sequence, t.Outcome(at).OrderId, t.Outcome(at).Code));
        Assert.Equal(TokenVerdict.Skipped, t.Check(s, 3, out _));
        Assert.Equal(TokenVerdict.New, t.Check(s, 6, out _));
        Assert.Equal(6u, t.NextToken(9));
        Assert.Equal(1u, t.NextToken(10));
    }

    [Fact]
    public void Window_OlderThanItsOutcomes_IsStale_AndEveryAppliedTokenAfterTheMarkIsKept()
    {
        var t = new TokenTable(window: 3, maxSpaces: 8);
        var s = t.FindOrAdd(1);
        for (uint token = 1; token <= 10; token += 2) t.Record(s, token, token * 10, 0, RejectCode.None);
        // 1, 3, 5, 7, 9 recorded; the window of 3 holds 5, 7, 9 and let 3 go.
        Assert.Equal(3u, t.Evicted(s));
        Assert.Equal(TokenVerdict.Stale, t.Check(s, 1, out _));
        Assert.Equal(TokenVerdict.Stale, t.Check(s, 3, out _));
        Assert.Equal(TokenVerdict.Skipped, t.Check(s, 4, out _));
        Assert.Equal(TokenVerdict.Duplicate, t.Check(s, 5, out _));
        Assert.Equal(TokenVerdict.Duplicate, t.Check(s, 9, out _));
        Assert.Equal(TokenVerdict.New, t.Check(s, 10, out _));
    }

    [Fact]
    public void TopOfTheRange_WrapsToOne_NeverLocksTheSpace()
    {
        var t = new TokenTable(window: 8, maxSpaces: 8);
        var s = t.FindOrAdd(3);
        Assert.Equal(TokenVerdict.New, t.Check(s, uint.MaxValue, out _));
        t.Record(s, uint.MaxValue, 1, 0, RejectCode.None);
        Assert.Equal(1u, t.NextToken(3));
        Assert.Equal(TokenVerdict.New, t.Check(s, 1, out _));
        t.Record(s, 1, 2, 0, RejectCode.None);
        Assert.Equal(1u, t.Highest(s));
        Assert.Equal(TokenVerdict.Duplicate, t.Check(s, uint.MaxValue, out _));
        Assert.Equal(TokenVerdict.Skipped, t.Check(s, uint.MaxValue - 1, out _));
        Assert.Equal(TokenVerdict.New, t.Check(s, 2, out _));
    }

    [Fact]
    public void FirstToken_AnyValue_IsNew()
    {
        var t = new TokenTable(window: 2, maxSpaces: 2);
        var s = t.FindOrAdd(1);
        Assert.Equal(TokenVerdict.New, t.Check(s, 3_000_000_000, out _));
    }

    [Fact]
    public void Spaces_GrowOutOfLinePastTheInitialCapacity_UpToTheMaximum()
    {
        var t = new TokenTable(window: 2, maxSpaces: 100, initialSpaces: 2);
        for (uint origin = 1; origin <= 100; origin++)
        {
            var s = t.FindOrAdd(origin);
            Assert.Equal((int)origin - 1, s);
            t.Record(s, origin * 3, origin, 0, RejectCode.None);
        }
        Assert.Equal(-1, t.FindOrAdd(101));
        for (uint origin = 1; origin <= 100; origin++)
            Assert.Equal(origin * 3 + 1, t.NextToken(origin));
    }

    [Fact]
    public void Check_AndRecord_OfWarmedSpaces_DoNotAllocate()
    {
        var t = new TokenTable(window: 16, maxSpaces: 64);
        for (uint origin = 1; origin <= 64; origin++) t.Record(t.FindOrAdd(origin), 1, 1, 0, RejectCode.None);
        long sequence = 2;
        uint token = 2;
        // The fewest bytes of a few rounds, as the other allocation tests measure (a first round can pay the JIT's).
        var allocated = Support.Allocations.Fewest(() =>
        {
            for (var n = 0; n < 10_000; n++, token++)
            {
                var s = t.FindOrAdd(token % 64 + 1);
                if (t.Check(s, token, out _) == TokenVerdict.New) t.Record(s, token, sequence++, 0, RejectCode.None);
                t.Check(s, token, out _);
            }
        });
        Assert.Equal(0, allocated);
    }
}
