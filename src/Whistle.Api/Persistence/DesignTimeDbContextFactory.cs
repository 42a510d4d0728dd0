using Microsoft.EntityFrameworkCore.Design;

namespace Whistle.Api.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service or a database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<WhistleDbContext>
{
    public WhistleDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<WhistleDbContext>();
        options.UseWhistleStore("Host=localhost;Database=whistle");
        return new WhistleDbContext(options.Options);
    }
}
