using Exchange.Client.Protocol;
using Exchange.Client;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests;

/// <summary>Logging in with sequence N gives every message of the user's stream from N on, then live ones.</summary>
public sealed class ReplayTests
{
    private const long Price = 120_000;

    [Fact]
    public async Task Reconnect_WhileOrdersFlow_ReplayThenLiveWithoutGapOrDuplicate()
    {
        await using var server = await StartAsync();
        await server.SetUpAsync(1_000_000_000_000, (Btc, Price));
        await using var watcher = await server.LoginAsync("t1", sequence: 1); // reads the whole stream, never disconnects
        await using var t1 = await server.LoginAsync("t1");
        await using var t2 = await server.LoginAsync("t2");

        // t1 rests orders, t2 takes them: both sides' streams grow while a reader of t1 drops and comes back.
        using var stop = new CancellationTokenSource();
        var flow = Task.Run(async () =>
        {
            for (var i = 0; i < 200 && !stop.IsCancellationRequested; i++)
            {
                await t1.PlaceAsync(1, Btc, 1, Price + i % 5, 2);
                if (i % 3 == 0) await t2.PlaceAsync(2, Btc, 0, Price + 5, 3, tif: 1);
                await Task.Delay(2);
            }
        });

        var reader = await server.LoginAsync("t1", sequence: 1);
        var seen = new List<ServerMessage>();
        for (var i = 0; i < 40; i++) seen.Add(await reader.ReceiveAsync(Wait));
        await reader.DisposeAsync(); // drops mid-stream

        await Task.Delay(50);
        await using var back = await server.LoginAsync("t1", sequence: seen[^1].Sequence + 1);
        await flow;
        await t1.QueryAsync(1); // a last message, to know where the stream ends
        var last = await watcher.WaitForAsync(m => m.Type == 'Q' && m.Account == 1, Wait);
        while (seen[^1].Sequence < last.Sequence) seen.Add(await back.ReceiveAsync(Wait));

        var full = watcher.History.Where(m => m.Sequence <= last.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, (int)last.Sequence).Select(i => (long)i), seen.Select(m => m.Sequence));
        Assert.Equal(full.Select(m => m.Raw), seen.Select(m => m.Raw));
        Assert.Contains(seen, m => m.Type == 'E');
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task Login_SequenceZero_OnlyNewMessages_SequencePastTheEnd_StartsAtTheEnd()
    {
        await using var server = await StartAsync(inProcess: true);
        await server.SetUpAsync(1_000_000, (Btc, Price));
        await using var late = await ExchangeClient.LoginAsync("127.0.0.1", server.Port, "t1", Password("t1"), 0, Wait);
        Assert.Equal(3, late.NextSequence); // the deposit's T and B are 1 and 2
        await using var ahead = await ExchangeClient.LoginAsync("127.0.0.1", server.Port, "t1", Password("t1"), 1_000, Wait);
        Assert.Equal(3, ahead.NextSequence);
        await late.QueryAsync(0);
        Assert.Equal(3, (await late.ReceiveAsync(Wait)).Sequence);
        Assert.Equal(3, (await ahead.ReceiveAsync(Wait)).Sequence);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task Restart_OnTheJournal_StateAndOrderTokensSurvive()
    {
        var first = await StartAsync();
        await first.SetUpAsync(1_000_000_000_000, (Btc, Price));
        ServerMessage secondOrder;
        await using (var t1 = await first.LoginAsync("t1"))
        {
            for (var i = 0; i < 3; i++) await t1.PlaceAsync(1, Btc, 0, Price - 10 - i, 5);
            secondOrder = await t1.WaitForAsync(m => m.Type == 'A' && m.Token == 2, Wait);
            await t1.WaitForAsync(m => m.Type == 'A' && m.Token == 3, Wait);
        }
        var oldSession = first.Server.SessionId;
        await first.Server.StopAsync();

        await using var second = await first.RestartAsync();
        // The session outlives the restart (docs/protocol.md section 8); another id is refused.
        Assert.Equal(oldSession, second.Server.SessionId);
        await using var stale = await ExchangeClient.ConnectAsync("127.0.0.1", second.Port);
        Assert.Equal('S', (await stale.LoginAsync("t1", Password("t1"), 5, "OTHER", Wait)).RejectReason);

        await using var again = await second.LoginAsync("t1");
        Assert.Equal(4u, again.NextToken);
        await again.SendAsync(Inbound.NewOrder(2, 1, Btc, 0, 0, 0, 0, 0, Price - 11, 5));
        // The core remembers token 2 across the restart: not executed again; the persisted stream still holds its A
        // (marked as the command's outcome), so the answer is that A byte for byte, order id included (section 7).
        var resent = await again.WaitForAsync(m => m.Token == 2, Wait);
        Assert.Equal(('A', secondOrder.OrderId), (resent.Type, resent.OrderId));
        Assert.Equal(secondOrder.Raw, resent.Raw);
        await again.QueryAsync(1);
        Assert.Equal(3u, (await again.WaitForAsync(m => m.Type == 'Q', Wait)).Count);
        await second.StopAndCheckAsync();
        await first.DisposeAsync();
    }
}
