# The hub's image: every role runs from it (see docker-compose.yml). Node 24 LTS, the TypeScript sources
# run directly (Node strips types), dependencies from the lockfile.
FROM node:24-slim
WORKDIR /app
COPY package.json package-lock.json ./
# bcrypt loads its bundled N-API prebuild, so no install script needs to run.
RUN npm ci --omit=dev --ignore-scripts
COPY src ./src
COPY migrations ./migrations
COPY bin ./bin
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000
EXPOSE 8000
ENTRYPOINT ["node", "src/cli.ts"]
CMD ["start"]
