using System.CommandLine;

namespace Exchange.Gateway.Cli.Client;

/// <summary><c>exchange client login</c>: checks the credentials; prints the session and the next sequence number.</summary>
internal static class LoginCommand
{
    public static Command Build(ClientOptions options)
    {
        var command = new Command("login", "Log in and out: check the user and password, print the session and the next sequence number.");
        command.SetAction(async (parse, _) =>
        {
            var c = options.Resolve(parse);
            var (client, login, at) = await ClientSession.LoginWithResultAsync(c, c.Port, 0, "order entry");
            await using (client)
            {
                c.Output.WriteLine($"logged in as {c.User} at {at}: session {login.Session.Trim()}, next sequence {login.NextSequence}");
                await client.LogoutAsync();
            }
            return ExitCode.Ok;
        });
        return command;
    }
}
