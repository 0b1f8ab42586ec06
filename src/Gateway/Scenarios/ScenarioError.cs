namespace Exchange.Gateway.Scenarios;

/// <summary>A malformed scenario line: where and why. Printed as <c>line N: reason</c>.</summary>
internal sealed record ScenarioError(int Line, string Reason)
{
    public override string ToString() => Line > 0 ? $"line {Line}: {Reason}" : Reason;
}
