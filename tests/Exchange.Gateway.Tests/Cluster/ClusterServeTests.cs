using Exchange.Client;
using Exchange.Gateway.Tests.Support;
using Exchange.Testing;

namespace Exchange.Gateway.Tests.Cluster;

/// <summary><c>exchange serve</c> in cluster mode: three nodes, the leader takes orders, the followers name it.</summary>
[Collection(nameof(ClusterNodesCollection))]
public sealed class ClusterServeTests
{
    private static readonly TimeSpan Wait = TestNodes.Timeout;

    [Fact]
    public async Task Follower_Login_IsRefusedNamingTheLeader_AndTheClientFollowsIt()
    {
        await using var nodes = await TestNodes.StartAsync();
        var leader = await nodes.LeaderAsync();
        var follower = (leader + 1) % nodes.Count;
        var (host, port) = nodes.Addresses[follower];

        await using (var raw = await ExchangeClient.ConnectAsync(host, port))
        {
            var refused = await raw.LoginAsync("admin", TestServer.Password("admin"), 0, "", Wait);
            Assert.True(refused.NotLeader, $"refused with {refused.RejectReason}: {refused.Debug}");
            Assert.Equal(nodes[leader]!.Self.ClientEndPoint, refused.Leader);
        }

        await using var admin = await ExchangeClient.LoginAsync(host, port, "admin", TestServer.Password("admin"), 0, Wait);
        var token = await admin.DepositAsync(1, 5_000_000_000);
        Assert.Equal('T', (await admin.WaitForAsync(m => m.Token == token, Wait)).Type);

        // `exchange client`, pointed at the follower, is sent to the leader too (5,000 and 100,000 USD in micro-USD).
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Exchange.Gateway.Cli.ExchangeCommandLine.Run(["client", "--port", port.ToString(), "--user", "admin", "--password",
            TestServer.Password("admin"), "--wait", "100", "deposit", "1", "100000"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("deposit account 1 100000", stdout.ToString());

        var leaderNode = nodes[leader]!.Node;
        await nodes.WaitAppliedAsync(leaderNode.StateMachine.AppliedIndex);
        for (var i = 0; i < nodes.Count; i++)
            Assert.Equal(105_000_000_000, BalanceAfterStop(nodes, i));
    }

    [Fact]
    public async Task Leader_Stopped_ANewLeaderTakesOverWithEveryAcknowledgedCommand_AndTheNodeCatchesUpOnRestart()
    {
        await using var nodes = await TestNodes.StartAsync();
        long acknowledged = 0;
        await using (var admin = await nodes.LoginAsync("admin"))
            acknowledged += await DepositAsync(admin, 10);
        var first = await nodes.LeaderAsync();
        await nodes.StopNodeAsync(first);

        var second = await nodes.LeaderAsync();
        Assert.NotEqual(first, second);
        await using (var admin = await nodes.LoginAsync("admin"))
        {
            await admin.QueryAsync(1);
            Assert.Equal(acknowledged, (await admin.WaitForAsync(m => m.Type == 'Q' && m.Account == 1, Wait)).Balance);
            acknowledged += await DepositAsync(admin, 10);
        }

        await nodes.StartNodeAsync(first);
        await nodes.WaitAppliedAsync(nodes[second]!.Node.StateMachine.AppliedIndex);
        for (var i = 0; i < nodes.Count; i++)
            Assert.Equal(acknowledged, BalanceAfterStop(nodes, i));
    }

    // Deposits to account 1, each waited for; returns the amount acknowledged.
    private static async Task<long> DepositAsync(ExchangeClient admin, int count)
    {
        await admin.QueryAsync(0);
        admin.NextToken = (await admin.WaitForAsync(m => m.Type == 'Q' && m.Account == 0, Wait)).NextToken;
        long total = 0;
        for (var i = 1; i <= count; i++)
        {
            var token = await admin.DepositAsync(1, i * 1_000_000L);
            Assert.Equal('T', (await admin.WaitForAsync(m => m.Token == token, Wait)).Type);
            total += i * 1_000_000L;
        }
        return total;
    }

    // The follower's state machine is read once its node has stopped.
    private static long BalanceAfterStop(TestNodes nodes, int i)
    {
        var node = nodes[i]!.Node;
        nodes.StopNodeAsync(i).GetAwaiter().GetResult();
        var exchange = node.StateMachine.Exchange;
        InvariantChecker.Check(exchange);
        return exchange.Balance(1);
    }
}

/// <summary>Cluster nodes bind ports and run election timers: one test at a time, beside nothing else.</summary>
[CollectionDefinition(nameof(ClusterNodesCollection), DisableParallelization = true)]
public sealed class ClusterNodesCollection;
