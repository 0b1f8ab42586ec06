using Exchange.Gateway.Routing;

namespace Exchange.Gateway.Tests.Sessions;

public class PendingTableTests
{
    [Fact]
    public void Claims_BeyondTheCapacity_FailUntilReleased_TheTableNeverGrows()
    {
        var table = new PendingTable(8);
        var claimed = new List<long>();
        for (var i = 0; i < 8; i++)
        {
            Assert.True(table.TryClaim(out var c));
            claimed.Add(c);
        }
        // Every slot is busy: the next claims fail (the session answers RATE_LIMITED) rather than grow or wait.
        for (var i = 0; i < 100; i++) Assert.False(table.TryClaim(out _));

        foreach (var c in claimed) table.Release(c);
        // A million claim/release pairs later, the same eight slots serve every command.
        for (var i = 0; i < 1_000_000; i++)
        {
            long c;
            while (!table.TryClaim(out c)) { }
            table[c].Token = (uint)i;
            table.Release(c);
        }
        Assert.Equal(8, table.Capacity);
    }
}
