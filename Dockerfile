# Multi-stage build: the SDK compiles and publishes, the ASP.NET runtime image runs.
# In a container there are no PostgreSQL binaries for the embedded default, so give the service
# a database: docker run -e ConnectionStrings__Whistle="Host=db;Username=whistle;Password=...;Database=whistle" -p 8080:8080 whistle
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so the layer is reused until a dependency changes.
COPY src/Whistle.Domain/Whistle.Domain.csproj src/Whistle.Domain/
COPY src/Whistle.Api/Whistle.Api.csproj src/Whistle.Api/
RUN dotnet restore src/Whistle.Api/Whistle.Api.csproj
COPY .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Whistle.Api/Whistle.Api.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_NOLOGO=1
EXPOSE 8080
# The image's unprivileged user.
USER $APP_UID
ENTRYPOINT ["dotnet", "Whistle.Api.dll"]
